// Evaluated in the DQM² page by the robber (spec §3.1): waits for the job table, clicks every log button,
// then returns what the original's parser read, as plain JSON. Canvases are exported separately.
(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const jobBodies = () => [...document.querySelectorAll('tbody')].filter((t) => t.attributes.length === 0);
  const logRows = () => document.querySelectorAll("tr[ng-if=\"_show_inline == 'log'\"]");
  for (let i = 0; i < 100 && !jobBodies().some((t) => t.querySelector('td')); i++) await sleep(100);

  const buttons = document.evaluate("//a[@class='hover-hide btn btn-default btn-xs']", document, null,
    XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
  let clicked = 0;
  for (let i = 0; i < buttons.snapshotLength; i++) {
    const button = buttons.snapshotItem(i);
    if (button.getAttribute('ng-click') === "_show_inline = 'log'") { button.click(); clicked++; }
  }
  for (let i = 0; i < 50 && logRows().length < clicked; i++) await sleep(100);

  const lines = (cell) => (cell ? cell.innerText.split('\n').map((l) => l.trim()).filter((l) => l) : []);
  const jobs = [];
  for (const body of jobBodies()) {
    for (const row of body.querySelectorAll(':scope > tr')) {
      if (row.getAttribute('ng-if') === "_show_inline == 'log'") {
        if (jobs.length) jobs[jobs.length - 1].logs = [...row.querySelectorAll('dqm-log')].map((l) => l.textContent);
        continue;
      }
      const cells = [...row.querySelectorAll(':scope > td')];
      if (cells.length < 8) continue;
      jobs.push({ cells: cells.slice(0, 8).map(lines), logs: [] });
    }
  }
  const crumb = [...document.querySelectorAll('ol.breadcrumb')]
    .find((ol) => [...ol.querySelectorAll('span')].some((s) => s.textContent.trim() === 'Known cmssw jobs'));
  const runCell = crumb && crumb.querySelector('strong.ng-binding');
  const servers = [...document.querySelectorAll('a.ng-binding')]
    .filter((a) => !a.hasAttribute('href') && !a.hasAttribute('ng-href'))
    .map((a) => ({ name: (a.textContent.trim().split(/\s+/)[0] || ''), state: (a.querySelector('strong') || {}).textContent || '' }));
  return { run: runCell ? runCell.textContent.trim() : null, jobs, servers,
           canvases: document.querySelectorAll('canvas').length };
})()
