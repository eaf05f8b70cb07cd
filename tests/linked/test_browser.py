"""Readers in a real browser (headless Chromium driven by Selenium; Debian's chromium and
chromium-driver, nothing downloaded) against a live ``ilograph serve``: the query page (load an
example, run it, see rows; the result drawn without running anything from the data) and the pages
(home, follow a link to COOP, its relations and diagram, switch to French). Screenshots are kept in
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..web.conftest import Server

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1600")


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
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-linked')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def shoot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"linked-{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 6000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1600)
    assert path.stat().st_size > 10_000
    return path


def console_errors(driver) -> list[str]:
    """Errors the page logged (a CSP violation, a script error); not the statuses of answers (the
    400 of a query with a syntax error, the browser's own favicon probe)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]


def test_query_page(browser, live: Server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(live.url + "/sparql")
    browser.execute_script("window.localStorage.clear()")
    assert browser.find_element(By.TAG_NAME, "h1").text == "SPARQL query"
    editor = browser.find_element(By.ID, "query")

    example = browser.find_element(By.CSS_SELECTOR, "a[data-example='cq-03-instruments-by-unit']")
    example.click()
    assert "ilo:implements" in editor.get_attribute("value")
    assert browser.current_url == live.url + "/sparql"  # loaded, not followed
    browser.find_element(By.ID, "run").click()
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results table.results tbody tr"))
    assert len(rows) >= 3
    headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results table.results thead th")]
    assert headings[:3] == ["#", "?agent", "?agentLabel"]
    summary = browser.find_element(By.CSS_SELECTOR, "#results p.summary").text
    assert summary.startswith(f"{len(rows)} rows")
    coop = browser.find_element(By.CSS_SELECTOR, "#results a[href='/id/unit/coop']")
    assert coop.text == "unit:coop" and coop.get_attribute("title") == "https://w3id.org/ilograph/id/unit/coop"
    formats = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#results p.downloads a")]
    assert formats == ["JSON", "XML", "CSV", "TSV"]
    assert "format=html" in browser.current_url  # a reload shows the same result
    shoot(browser, "query")

    # values from the data are text, never markup; unsafe IRIs are not links; the row cap is said
    editor.clear()
    editor.send_keys('SELECT ?x WHERE { VALUES ?x { "<img src=x onerror=alert(1)>" <javascript:alert(2)> '
                     "<http://example.org/a> } }")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#results p.summary"), "3 rows"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#results tbody td:nth-child(2)")
    assert [c.text for c in cells] == ["<img src=x onerror=alert(1)>", "javascript:alert(2)", "http://example.org/a"]
    assert not browser.find_elements(By.CSS_SELECTOR, "#results img")
    assert [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#results tbody a")] == [
        "http://example.org/a"]
    editor.clear()
    editor.send_keys("SELECT * WHERE { ?s ?p ?o }")
    browser.find_element(By.ID, "run").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#results p.truncated")))

    # an error is shown with its position
    editor.clear()
    editor.send_keys("SELECT * WHERE { ?s ?p }")
    browser.find_element(By.ID, "run").click()
    error = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#results pre.query-error")))
    assert "line 1, column" in error.text
    assert browser.find_element(By.CSS_SELECTOR, "#results p.error-status strong").text == "400"

    # the editor's text is kept
    browser.get(live.url + "/sparql")
    assert browser.find_element(By.ID, "query").get_attribute("value") == "SELECT * WHERE { ?s ?p }"
    assert console_errors(browser) == []


def test_query_page_constructs(browser, live: Server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(live.url + "/sparql")
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("DESCRIBE <https://w3id.org/ilograph/id/unit/coop>")
    browser.find_element(By.ID, "run").click()
    rows = WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results tbody tr"))
    assert len(rows) > 20
    assert browser.find_element(By.CSS_SELECTOR, "#results thead").text.split() == ["#", "subject", "predicate",
                                                                                 "object"]
    assert "rdf:type" in [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#results tbody td:nth-child(3)")]
    formats = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#results p.downloads a")]
    assert formats == ["Turtle", "N-Triples", "JSON-LD", "RDF/XML"]


def test_home_to_coop_to_french(browser, live: Server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(live.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "ILO enterprises knowledge graph"
    overview = browser.find_element(By.CSS_SELECTOR, "section.overview svg")
    assert overview.is_displayed() and overview.size["width"] > 300
    shoot(browser, "home")

    browser.find_element(By.CSS_SELECTOR, "section.class-list a[href='/id/unit/coop']").click()
    wait.until(ec.url_to_be(live.url + "/id/unit/coop.html"))  # the IRI, then 303 to its page
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("Cooperatives Unit") and "COOP" in heading
    relations = browser.find_element(By.CSS_SELECTOR, "section.relations")
    names = [dt.text for dt in relations.find_elements(By.TAG_NAME, "dt")]
    assert "implements" in names and "has strategy line" in names
    targets = [a.get_attribute("href") for a in relations.find_elements(By.TAG_NAME, "a")]
    assert live.url + "/id/instrument/r193" in targets
    diagram = browser.find_element(By.CSS_SELECTOR, "section.neighbourhood svg")
    browser.execute_script("arguments[0].scrollIntoView()", diagram)
    assert diagram.is_displayed() and diagram.size["width"] > 300 and diagram.size["height"] > 200
    assert len(diagram.find_elements(By.CSS_SELECTOR, "circle.node")) > 10
    shoot(browser, "coop")

    browser.find_element(By.CSS_SELECTOR, "nav.languages a[hreflang='fr']").click()
    wait.until(ec.url_contains("lang=fr"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    titles = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    assert "Relations" in titles and "Voisinage" in titles and "Provenance" in titles
    shoot(browser, "coop-fr")
    # links keep the reader in French, and a French label is shown where there is one
    browser.find_element(By.CSS_SELECTOR, "section.relations a[href='/id/organization/ilo?lang=fr'], "
                                          "section.incoming a[href='/id/organization/ilo?lang=fr'], "
                                          "a[href='/id/organization/ilo?lang=fr']").click()
    wait.until(ec.url_contains("/id/organization/ilo.html?lang=fr"))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Organisation internationale du Travail")
    assert console_errors(browser) == []
