"""A reader in a real browser (headless Chromium driven by Selenium, Debian's chromium and
chromium-driver, nothing downloaded): opens the static site's home page, follows a link to COOP,
sees its relations and its neighbourhood diagram, switches to French. Screenshots are kept in
tests/artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1800")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.is_file() or not DRIVER.is_file():
        pytest.skip("Chromium is not installed at /usr/bin/chromium with /usr/bin/chromedriver "
                    "(Debian: apt-get install -y chromium chromium-driver; .ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def shoot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"pages-{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 6000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1800)
    assert path.stat().st_size > 10_000
    return path


def test_home_to_coop_to_french(browser, served_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(served_site)
    assert browser.find_element(By.TAG_NAME, "h1").text == "ILO enterprises knowledge graph"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    overview = browser.find_element(By.CSS_SELECTOR, "section.overview svg")
    assert overview.is_displayed() and overview.size["width"] > 300
    shoot(browser, "home")

    link = browser.find_element(By.CSS_SELECTOR, "section.class-list a[href$='id/unit/coop.html']")
    link.click()
    wait.until(ec.url_contains("id/unit/coop.html"))
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("Cooperatives Unit") and "COOP" in heading

    relations = browser.find_element(By.CSS_SELECTOR, "section.relations")
    names = [dt.text for dt in relations.find_elements(By.TAG_NAME, "dt")]
    assert "implements" in names and "has strategy line" in names
    targets = [a.get_attribute("href") for a in relations.find_elements(By.TAG_NAME, "a")]
    assert any(t.endswith("id/instrument/r193.html") for t in targets)

    diagram = browser.find_element(By.CSS_SELECTOR, "section.neighbourhood svg")
    browser.execute_script("arguments[0].scrollIntoView()", diagram)
    assert diagram.is_displayed() and diagram.size["width"] > 300 and diagram.size["height"] > 200
    assert len(diagram.find_elements(By.CSS_SELECTOR, "circle.node")) > 10
    labels = " ".join(t.text for t in diagram.find_elements(By.CSS_SELECTOR, "text"))
    assert "Cooperatives Unit" in labels and "guided by" in labels
    shoot(browser, "coop")

    browser.find_element(By.CSS_SELECTOR, "nav.languages a[hreflang='fr']").click()
    wait.until(ec.url_contains("coop.fr.html"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    titles = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    assert "Relations" in titles and "Voisinage" in titles and "Provenance" in titles
    assert browser.find_element(By.CSS_SELECTOR, "h1 bdi").get_attribute("lang") == "en"  # no French name: English
    # links keep the reader in French
    r193 = browser.find_element(By.CSS_SELECTOR, "section.relations a[href$='r193.fr.html']")
    shoot(browser, "coop-fr")
    r193.click()
    wait.until(ec.url_contains("r193.fr.html"))
    assert "Recommandation" in browser.find_element(By.CSS_SELECTOR, "p.types").text or \
        browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
