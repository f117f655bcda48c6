"""The console in a real browser: Debian's Chromium, headless, driven by Selenium through Debian's
chromedriver (no browser or driver is downloaded). Run by Tests/ConsoleTests/ConsoleBrowserTests.swift
against a console it started:

    console_browser.py BASE_URL PASSWORD SCREENSHOT_DIR

Logs in, opens the Testing UI, runs the price.created example, watches the run appear live on the
runs page, opens it, finds "price created!" in its log and loads its payload; runs a test with a payload that cannot
parse (a dead letter), opens the dead letters, replays it, and logs out. Saves a screenshot of each
page in SCREENSHOT_DIR. Exits 0 when every step held, else prints the step that failed and exits 1.
"""

import os
import sys

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def main():
    base, password, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(shots, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    wait = WebDriverWait(driver, 60)
    step = "start"

    def shot(name):
        driver.save_screenshot(os.path.join(shots, name + ".png"))

    def fresh(selector, check=None):
        """The element `selector` finds (once `check` holds for it), found again whenever a live update
        replaced it meanwhile."""

        def found(d):
            try:
                element = d.find_element(By.CSS_SELECTOR, selector)
                return element if check is None or check(element) else False
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        return wait.until(found)

    def click(selector):
        """Clicks what `selector` finds, again if a live update replaced it before the click."""

        def clicked(d):
            try:
                d.find_element(By.CSS_SELECTOR, selector).click()
                return True
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        wait.until(clicked)

    try:
        step = "a page without a session redirects to the login"
        driver.get(base + "/runs")
        wait.until(ec.presence_of_element_located((By.ID, "password")))
        shot("login")

        step = "a wrong password is refused"
        driver.find_element(By.ID, "password").send_keys("not-the-password")
        driver.find_element(By.ID, "login").click()
        wait.until(ec.presence_of_element_located((By.ID, "login-error")))

        step = "the password logs in and lands on the runs page"
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "user").send_keys("browser")
        driver.find_element(By.ID, "login").click()
        wait.until(ec.presence_of_element_located((By.ID, "runs-body")))

        step = "the Testing UI shows price.created with its title and example"
        driver.get(base + "/catalog")
        card = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '.card[data-event="price.created"]')))
        assert "price" in card.text.lower(), card.text
        shot("catalog")

        step = "Run test publishes the example and opens its runs, where the run appears live"
        card.find_element(By.CSS_SELECTOR, "form button.run-test").click()
        wait.until(ec.url_contains("/runs?event="))
        assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-live") in (None, "open")
        succeeded = '#runs-body tr[data-status="succeeded"]'
        fresh(succeeded, lambda row: "stripe-on-price" in row.text)
        shot("runs")

        step = "the run page shows the log line price created!"
        click(succeeded + " a")
        fresh("#logs", lambda logs: "price created!" in logs.text)

        step = "the run's payload loads from the events topic"
        driver.find_element(By.ID, "load-payload").click()
        payload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "pre#payload")))
        assert '"price"' in payload.text, payload.text
        driver.execute_script("window.scrollTo(0, 0)")
        shot("run")

        step = "a payload that cannot parse dead-letters its run"
        driver.get(base + "/catalog")
        card = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '.card[data-event="price.created"]')))
        area = card.find_element(By.CSS_SELECTOR, "form textarea")
        area.clear()
        area.send_keys('{"not":"a price"}')
        card.find_element(By.CSS_SELECTOR, "form button.run-test").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '#runs-body tr[data-status="dead-lettered"]')))

        step = "the dead letters page lists it and Replay republishes it"
        driver.get(base + "/dlq")
        fresh("tr[data-letter]", lambda letter: "stripe-on-price" in letter.text)
        shot("dlq")
        click("tr[data-letter] button.replay-one")
        flash = wait.until(ec.presence_of_element_located((By.ID, "flash")))
        assert flash.text.startswith("replayed"), flash.text
        shot("dlq-replayed")

        step = "the Audit page lists the replay under the login's name"
        driver.get(base + "/audit")
        fresh('#audit-body tr[data-action="replay"]', lambda row: "browser@console" in row.text)
        shot("audit")

        step = "logging out ends the session"
        driver.find_element(By.ID, "logout").click()
        wait.until(ec.presence_of_element_located((By.ID, "password")))
        driver.get(base + "/runs")
        wait.until(ec.presence_of_element_located((By.ID, "password")))
    except Exception as error:  # noqa: BLE001 - any failure names its step
        shot("failure")
        print(f"step failed: {step}: {type(error).__name__}: {error}", file=sys.stderr)
        driver.quit()
        sys.exit(1)
    driver.quit()
    print("console browser test passed")


if __name__ == "__main__":
    main()
