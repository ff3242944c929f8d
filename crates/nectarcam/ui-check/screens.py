"""Opens the viewer in headless Chromium and checks what §9 / issue 9 ask of the page: a camera display
with hover and a working slider, a timeline, a waveform and the trigger timestamps. Saves screenshots.

  cargo run --release -p nectarcam --example serve -- 127.0.0.1:8765 &
  python3 crates/nectarcam/ui-check/screens.py http://127.0.0.1:8765/nectarcam/ docs/nectarcam

Needs `pip install playwright` and Debian's `chromium` (no browser download).
"""
import os
import sys

from playwright.sync_api import sync_playwright

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765/nectarcam/"
OUT = sys.argv[2] if len(sys.argv) > 2 else "docs/nectarcam"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def main():
    os.makedirs(OUT, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(URL)
        page.wait_for_selector("#tab-displays .card canvas", timeout=20000)
        assert page.inner_text("#camera-tabs button.active") == "NectarCAM Qualification Model"
        assert "Run start time:" in page.inner_text("#run-times")

        # Hover over the middle of the first drawable camera map with a slider.
        card = page.locator("#tab-displays .card", has=page.locator(".slider")).first
        card.scroll_into_view_if_needed()
        cam = card.locator("canvas").first
        box = cam.bounding_box()
        page.mouse.move(box["x"] + 200, box["y"] + 200)
        tip = page.inner_text("#tooltip")
        assert "cluster #" in tip and "pix # in cluster" in tip and "value" in tip, tip
        page.screenshot(path=f"{OUT}/camera-display-hover.png")

        before = cam.evaluate("c => c.toDataURL()")
        slider = card.locator("input[type=range]").first
        slider.evaluate("s => { s.value = (Number(s.min) + Number(s.max)) / 2; s.dispatchEvent(new Event('input')); }")
        after = cam.evaluate("c => c.toDataURL()")
        assert before != after, "moving the Color Range slider must repaint the map"
        page.mouse.move(0, 0)
        card.screenshot(path=f"{OUT}/camera-display-slider.png")

        for tab, name in (("timelines", "timelines"), ("waveforms", "waveforms"), ("triggers", "trigger-timestamps")):
            page.click(f"#sub-tabs button[data-tab={tab}]")
            page.wait_for_selector(f"#tab-{tab} .card canvas", timeout=20000)
            assert page.locator("#tab-displays").is_hidden(), "only the chosen sub-tab is shown"
            page.wait_for_timeout(500)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=f"{OUT}/{name}.png", full_page=False)

        # Run selector and the second camera.
        page.click("#camera-tabs button:nth-child(2)")
        page.wait_for_function("document.querySelector('#run-title').textContent.includes('NectarCAM 2')")
        page.click("#sub-tabs button[data-tab=displays]")
        page.wait_for_selector("#tab-displays .card canvas", timeout=20000)
        page.wait_for_timeout(500)
        page.screenshot(path=f"{OUT}/camera-2-displays.png")
        assert not errors, errors
        browser.close()
    print("ok: hover, slider, timeline, waveform and trigger timestamps render; screenshots in", OUT)


if __name__ == "__main__":
    main()
