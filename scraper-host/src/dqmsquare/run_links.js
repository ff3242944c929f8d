// Evaluated by the old-runs robber (spec §3.1, §11a): waits until the page shows its checkbox and run links,
// then returns the numeric texts of the run links (`label-run` anchors), in page order.
(async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const links = () => {
    const found = document.evaluate('//a[@class="label-run label label-info ng-binding ng-scope"]', document, null,
      XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    const out = [];
    for (let i = 0; i < found.snapshotLength; i++) out.push(found.snapshotItem(i).textContent.trim());
    return out;
  };
  for (let i = 0; i < 100 && !(document.querySelector('input[type=checkbox]') && links().length); i++) await sleep(100);
  return links().filter((text) => /^\d+$/.test(text)).map(Number);
})()
