#!/usr/bin/python3
"""The citizen's touch screen in a real headless Chromium (Debian's chromium + chromium-driver,
driven by Debian's python3-selenium), against a real kioskd with simulated devices and a private
cupsd. Run by Tests/ScreenTests (swift test); it can also be run by hand against `make demo`.

    /usr/bin/python3 scripts/screen-test.py --url http://127.0.0.1:8080 [--screenshots DIR]
        [--staff-account NAME --staff-pin PIN] [--kioskd-pid PID --kioskd-command JSON] [--only NAME,...]

Every wait is on a condition with a bounded timeout. Prints `FILING=…`, `PROGRESS_URL=…` for the
caller to check the printed slip, `PASS name` per scenario, and exits 1 on the first failure
(`FAIL name: why`). A missing chromium or chromedriver is a failure, never a skip.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

ITEM_JOURNEY = "1237040049308563813720124002000001"   # 住房公积金提取（租赁住房）: three required pages
ITEM_DEFERRABLE = "11370481004397113L3707121008000001"  # 不动产权证书补证: one material may follow (容缺)
WANG_ADDRESS = "山东省滕州市荆河街道善国北路12号"
BUNDLE = "YJS-370481-003"                              # 城乡居民社保医保参保“一件事” (一表申请: one merged form)


def id_number(region, birth, seq):
    """A GB 11643 ID number with its check character."""
    body = f"{region}{birth}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


# A fresh set of people per run (materials already held from an earlier run would skip pages).
_RUN = os.getpid() % 400 * 2 + 1
CITIZENS = {
    "zhang": ("张三", id_number("110105", "19491231", _RUN)),
    "li": ("李四", id_number("370481", "19800101", _RUN)),
    "wang": ("王五", id_number("370481", "19751203", _RUN)),
    "zhao": ("赵六", id_number("370481", "19900615", _RUN)),
    "qian": ("钱七", id_number("370481", "19620308", _RUN)),
    "sun": ("孙八", id_number("370481", "19550720", _RUN)),
    "wu": ("吴九", id_number("370481", "19820412", _RUN)),
}
# 帮办代办: the principal the agent 吴九 enters (no card of theirs is read).
PRINCIPAL = ("郑十", id_number("370481", "19400101", _RUN))
# …and one whose own card the agent puts on the reader.
PRINCIPAL_CARD = ("冯十一", id_number("370481", "19380909", _RUN))


class Failure(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--screenshots")
    parser.add_argument("--staff-pin")
    parser.add_argument("--staff-account", default="liming", help="the staff account the PIN belongs to")
    parser.add_argument("--kioskd-pid", type=int)
    parser.add_argument("--kioskd-command", help="JSON: {executable, arguments, environment} to restart kioskd")
    parser.add_argument("--only", help="comma-separated scenario names")
    args = parser.parse_args()
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            print(f"FAIL setup: {path} is missing: apt-get install {package} (scripts/bootstrap.sh installs it)")
            return 1
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        print("FAIL setup: selenium is missing for /usr/bin/python3: apt-get install python3-selenium")
        return 1
    run = Run(args)
    try:
        return run.all()
    finally:
        run.close()


class Run:
    def __init__(self, args):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.args = args
        self.base = args.url.rstrip("/")
        self.restarted = None
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1920,1080",
                     "--lang=zh-CN", "--autoplay-policy=no-user-gesture-required", "--enable-precise-memory-info",
                     "--force-device-scale-factor=1", "--hide-scrollbars"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.viewport(1920, 1080)
        self.console = []

    def viewport(self, width, height):
        """The panel's exact size in CSS pixels (the window size of headless Chromium includes its frame)."""
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def close(self):
        try:
            self.driver.quit()
        except Exception:
            pass
        if self.restarted and self.restarted.poll() is None:
            self.restarted.send_signal(signal.SIGTERM)
            try:
                self.restarted.wait(15)
            except subprocess.TimeoutExpired:
                self.restarted.kill()

    # ---- helpers

    def http(self, method, path, body=None, headers=None, expect=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if expect is not None and status != expect:
            raise Failure(f"{method} {path} answered {status}, not {expect}: {raw[:300]!r}")
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, what, condition, timeout=15.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except Exception as error:  # the page is re-rendering: ask again
                last = error
            time.sleep(0.05)
        raise Failure(f"timed out after {timeout:.0f} s waiting for {what} (screen {self.screen()!r}, last error {last!r}); "
                      f"page text: {self.text()[:400]!r}")

    def screen(self):
        try:
            return self.js("return document.body.dataset.screen || ''")
        except Exception:
            return None

    def text(self):
        try:
            return self.js("return document.body.innerText")
        except Exception:
            return ""

    def on(self, screen, timeout=15.0):
        self.wait(f"the {screen} screen", lambda: self.screen() == screen, timeout)

    def tap(self, css, timeout=15.0):
        """A real click (pointer events) on the element; found again if the page redrew it meanwhile."""
        from selenium.webdriver.common.by import By

        def tapped():
            el = self.driver.find_element(By.CSS_SELECTOR, css)
            if not (el.is_displayed() and el.is_enabled()):
                return False
            el.click()  # a stale element raises: wait() asks again
            return True
        self.wait(f"{css} to be tappable", tapped, timeout)

    def exists(self, css):
        return self.js("return !!document.querySelector(arguments[0])", css)

    def value(self, css):
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null", css)

    def shot(self, name, portrait=False):
        if not self.args.screenshots and not portrait:
            return
        if self.args.screenshots:
            os.makedirs(self.args.screenshots, exist_ok=True)
        if portrait:
            self.viewport(1080, 1920)
            self.wait("the portrait layout", lambda: self.js("return innerWidth") == 1080, 5)
        self.js("return document.fonts.ready.then(() => true)")
        # Two frames: the last render is painted.
        self.js("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
        if self.args.screenshots:
            self.driver.save_screenshot(os.path.join(self.args.screenshots, f"{name}.png"))
        if portrait:
            self.check_rendered(f"{name} (portrait 1080×1920)", self.js("return document.documentElement.classList.contains('large')"))
            self.viewport(1920, 1080)
            self.wait("the landscape layout", lambda: self.js("return innerWidth") == 1920, 5)

    def place(self, who, **card):
        name, number = CITIZENS[who]
        self.http("POST", "/api/v1/sim/idcard/place", {"name": name, "idNumber": number, "sex": "male", **card}, expect=202)
        masked = name[0] + "*"
        self.wait(f"the masked name {masked}", lambda: masked in (self.value("#citizen-name") or ""))
        self.http("POST", "/api/v1/sim/idcard/remove", expect=202)
        return masked

    def no_personal_data(self, *data):
        """Nothing personal in the page: text, DOM, the app's state, storage."""
        html = self.js("return document.documentElement.outerHTML")
        state = self.js("return import('/screen/app.js').then(m => JSON.stringify(m.current(), (k, v) => v instanceof Map ? [...v] : v))")
        storage = self.js("return JSON.stringify([localStorage.length, sessionStorage.length, Object.keys(localStorage), Object.keys(sessionStorage)])")
        if storage != "[0,0,[],[]]":
            raise Failure(f"storage is not empty: {storage}")
        for datum in data:
            if not datum:
                continue
            for where, content in (("DOM", html), ("JS state", state)):
                if datum in content:
                    raise Failure(f"{datum!r} is still in the {where} after the session ended")
        resources = self.js("return performance.getEntriesByType('resource').map(e => e.name).join(' ')")
        for datum in data:
            if datum and datum in resources:
                raise Failure(f"{datum!r} is still in the resource timings")

    def fill_materials(self, needs=("required",), blur_once=False):
        """Takes every page the materials of these needs ask for (optionally one blurred page first)."""
        refused = None
        rows = self.js("return [...document.querySelectorAll('.material')].map(b => [b.id, b.dataset.need, b.dataset.held])")
        for row_id, need, held in rows:
            if need not in needs or held == "true":
                continue
            self.tap(f"#{row_id}")
            self.wait(f"{row_id} selected", lambda: self.js("return document.querySelector(arguments[0]).getAttribute('aria-pressed')", f"#{row_id}") == "true")
            while True:
                have, want = self.js("const b = document.querySelector(arguments[0]); return [+b.dataset.pages, +b.dataset.expected]", f"#{row_id}")
                if have >= want:
                    break
                if blur_once and refused is None:
                    self.http("POST", "/api/v1/sim/camera/conditions", {"blurRadius": 6}, expect=202)
                    self.tap("#take")
                    refused = self.wait("the quality refusal", lambda: self.value("#refusal"))
                    if "模糊" not in refused:
                        raise Failure(f"the refusal does not say the page is blurred: {refused!r}")
                    self.shot("materials-refused")
                    self.http("POST", "/api/v1/sim/camera/conditions", {}, expect=202)
                    if "重拍" not in (self.value("#take") or ""):
                        raise Failure("after a refusal the button does not offer 重拍")
                self.tap("#take")
                self.wait(f"page {have + 1} of {row_id}", lambda: self.js("return +document.querySelector(arguments[0]).dataset.pages", f"#{row_id}") > have)
                if self.exists("#refusal"):
                    raise Failure(f"a sharp page was refused: {self.value('#refusal')}")
        return refused

    def check_rendered(self, label, large):
        """适老化 from the rendered page: text sizes, line height, contrast, targets, names, no hover."""
        report = self.js(ACCESSIBILITY_JS, large)
        problems = report["problems"]
        if problems:
            raise Failure(f"{label}: {len(problems)} rendering problems, e.g. {problems[:5]}")
        return report

    def console_check(self, scenario, allowed=()):
        """Every console entry of the scenario; errors must be expected ones (a page refused on purpose…)."""
        entries = self.driver.get_log("browser")
        self.console += entries
        bad = [e for e in entries if e["level"] == "SEVERE" and not any(re.search(p, e["message"]) for p in allowed)]
        if bad:
            raise Failure(f"{scenario}: console errors: {[e['message'][:200] for e in bad]}")
        return entries

    # ---- scenarios

    def all(self):
        scenarios = [("attract", self.attract), ("journey", self.journey), ("bundle", self.bundle), ("deferral", self.deferral),
                     ("supplement", self.supplement), ("agent", self.agent), ("agent-card", self.agent_card),
                     ("green-channel", self.green_channel),
                     ("second-card", self.second_card), ("timeout", self.timeout), ("maintenance", self.maintenance),
                     ("restart", self.restart)]
        only = set(self.args.only.split(",")) if self.args.only else None
        if only and "attract" not in only:
            self.driver.get(self.base + "/")
        for name, scenario in scenarios:
            if only and name not in only:
                continue
            try:
                scenario()
            except Exception as error:
                print(f"FAIL {name}: {error}")
                if not isinstance(error, Failure):
                    traceback.print_exc(file=sys.stdout)
                self.shot(f"failure-{name}")
                return 1
            print(f"PASS {name}", flush=True)
        severe = [e for e in self.console if e["level"] == "SEVERE"]
        print(f"CONSOLE entries={len(self.console)} severe-expected={len(severe)}")
        return 0

    def attract(self):
        self.driver.get(self.base + "/")
        self.on("attract")
        self.wait("the screen ready", lambda: self.js("return window.__screenReady !== undefined"))
        self.wait("the hall name", lambda: "滕州市政务服务中心" in self.text())
        if "请将身份证放在读卡区" not in self.text():
            raise Failure("the attract screen does not ask for the ID card")
        if self.js("return document.documentElement.lang") != "zh-CN":
            raise Failure("the page is not lang=zh-CN")
        # The attract screen's voice prompt: spoken by kioskd (espeak-ng) and loaded by the page.
        self.wait("the voice prompt loaded", lambda: self.js("return (window.__voiceLoaded || 0) > 0"), 30)
        self.check_rendered("attract", False)
        self.shot("attract")
        self.tap("#large-toggle")
        self.wait("the large-text mode", lambda: self.js("return document.documentElement.classList.contains('large')"))
        report = self.check_rendered("attract (长辈版)", True)
        if report["minFont"] < 32:
            raise Failure(f"长辈版 text is not much larger: {report['minFont']} px")
        self.shot("attract-large")
        self.tap("#large-toggle")
        self.shot("attract-portrait", portrait=True)
        self.console_check("attract")

    def journey(self):
        self.on("attract")
        masked = self.place("zhang")
        self.on("services")
        html = self.js("return document.documentElement.outerHTML")
        if CITIZENS["zhang"][1] in html or "张三" in html:
            raise Failure("the full name or ID number is in the page")
        self.check_rendered("services", False)
        self.shot("services")
        self.shot("services-portrait", portrait=True)
        self.tap("#large-toggle")
        self.check_rendered("services (长辈版)", True)
        self.shot("services-large")
        self.tap("#large-toggle")
        self.tap("#tab-search")
        self.tap("#kw-公积金")
        self.tap(f"#item-{ITEM_JOURNEY}")
        self.on("notice")
        for part in ("申请材料", "受理条件", "办理时限", "收费标准", "办理流程", "咨询电话"):
            if part not in self.text():
                raise Failure(f"the one-time notice lacks {part}")
        self.check_rendered("notice", False)
        self.shot("notice")
        self.tap("#print-notice")
        self.wait("the notice printed", lambda: "告知单已打印" in (self.value("#notice-status") or ""), 20)
        self.tap("#start")
        self.on("materials")
        frames = self.js("return window.__previewFrames()")
        time.sleep(0)  # the preview's rate is measured over the next two seconds, below
        start = time.monotonic()
        self.wait("two seconds of preview", lambda: time.monotonic() - start >= 2.0, 5)
        rate = (self.js("return window.__previewFrames()") - frames) / (time.monotonic() - start)
        if rate < 4.0:
            raise Failure(f"the camera preview shows {rate:.1f} frames/s (< 4)")
        print(f"PREVIEW_FPS={rate:.2f}")
        self.fill_materials(("required",), blur_once=True)
        # Delete a page and take it again.
        self.tap(".page button[aria-label^='删除']")
        self.wait("the page deleted", lambda: not self.js("return !document.querySelector('#materials-next').disabled"))
        self.fill_materials(("required",))
        self.check_rendered("materials", False)
        self.shot("materials")
        self.tap("#materials-next")
        self.on("delivery")
        self.shot("delivery")
        self.tap("#deliver-mail")
        for digit in "13800138000":
            self.tap(f"#phone-key-{digit}")
        self.wait("the phone typed", lambda: self.value("#phone-display") == "13800138000")
        self.tap("#phone-next")
        self.shot("delivery-town")
        self.tap("[id='pick-龙泉街道']")
        self.tap("[id='pick-龙泉路']")
        self.tap("[id='pick-塔寺社区']")
        for digit in "88":
            self.tap(f"#house-key-{digit}")
        self.tap("#house-next")
        self.wait("the address confirmed", lambda: "龙泉街道龙泉路塔寺社区88号" in (self.value("#mail-address") or ""))
        self.shot("delivery-mail")
        self.tap("#submit")
        self.wait("the slip taken", lambda: self.exists("#take-slip") or self.exists("#slip-held"), 30)
        if not self.exists("#take-slip"):
            raise Failure(f"the slip did not print: {self.text()[:300]}")
        number = self.value("#filing-number")
        url = self.value("#progress-url")
        qr_ok = self.wait("the QR drawn", lambda: self.js("const i = document.querySelector('#progress-qr'); return i.complete && i.naturalWidth > 0"))
        if not qr_ok or not url.startswith("http"):
            raise Failure(f"no progress QR/URL on screen: {url!r}")
        print(f"FILING={number}")
        print(f"PROGRESS_URL={url}")
        self.check_rendered("done", False)
        self.shot("done")
        self.tap("#rate")
        self.on("rating")
        self.wait("the pad asked", lambda: "评价器上" in (self.value("#rating-hint") or ""))
        self.shot("rating")
        self.http("POST", "/api/v1/sim/pad/press", {"level": 5}, expect=202)
        self.on("thanks")
        if "非常满意" not in self.text():
            raise Failure("the thank-you does not say the level")
        self.shot("thanks")
        self.tap("#thanks-queue")
        self.on("queue")
        self.wait("the categories", lambda: self.exists("#category-social-insurance"))
        if "等候" not in self.text():
            raise Failure("the queue screen does not show who waits")
        self.shot("queue")
        self.tap("#category-social-insurance")
        self.on("ticket")
        ticket = self.value("#ticket-number")
        if not re.fullmatch(r"A\d{3}", ticket or ""):
            raise Failure(f"no ticket number: {ticket!r}")
        self.shot("ticket")
        self.tap("#ticket-end")
        self.on("attract")
        self.no_personal_data(masked, number, url, ticket)
        self.console_check("journey", allowed=[r"/materials/[^ ]+/pages - Failed to load resource: the server responded with a status of 422"])

    def bundle(self):
        self.on("attract")
        masked = self.place("wang", address=WANG_ADDRESS)
        self.on("services")
        self.tap("#tab-bundles")
        self.tap(f"#bundle-{BUNDLE}")
        self.on("notice")
        if "包含事项" not in self.text():
            raise Failure("the bundle's notice does not list its items")
        self.shot("notice-bundle")
        self.tap("#start")
        self.on("materials")
        self.fill_materials(("required",))
        self.tap("#materials-next")
        self.form_step(CITIZENS["wang"][1])
        self.on("delivery")
        self.tap("#submit")
        self.wait("the bundle's slip", lambda: self.exists("#take-slip"), 40)
        number = self.value("#filing-number")
        self.tap("#rate")
        self.on("rating")
        self.tap("#level-2")
        self.on("thanks")
        if not self.exists("#follow-up"):
            raise Failure("a 差评 does not say it will be followed up")
        self.shot("thanks-poor")
        self.tap("#thanks-end")
        self.on("attract")
        self.no_personal_data(masked, number)
        # The refused phone (422) and the incomplete form's check are answers the step shows, not faults.
        self.console_check("bundle", allowed=(r"/form - Failed to load resource: the server responded with a status of 422",))

    def form_step(self, number):
        """一表申请: the bundle's one form: the card's facts shown for confirmation (the ID number masked),
        each shared field once, a refused answer's reason under its field, then every answer given."""
        self.on("form")
        if number in self.text() or "*" not in (self.value("#form-value-idNumber") or ""):
            raise Failure("the form does not show the ID number masked")
        if not self.exists("#form-locked-idNumber") or self.exists("#form-edit-idNumber"):
            raise Failure("the card's ID number can be changed on the form")
        if WANG_ADDRESS not in (self.value("#form-value-householdAddress") or ""):
            raise Failure("the card's address was not pre-filled")
        if len(self.js("return [...document.querySelectorAll('#form-fields > li')].filter(e => e.id === 'form-field-phone')")) != 1:
            raise Failure("the shared phone field is not asked exactly once")
        self.tap("#form-next")  # incomplete: each required field says so, nothing moves on
        self.wait("the required fields marked", lambda: "联系电话" in (self.value("#form-error-phone") or ""))
        self.check_rendered("form", False)
        self.shot("form")
        self.tap("#form-edit-phone")
        for digit in "12345":
            self.tap(f"#form-pad-key-{digit}")
        self.tap("#form-save")
        self.wait("the phone refused with its reason", lambda: "11位" in (self.value("#form-error-phone") or ""))
        self.shot("form-error")
        self.tap("#form-pad-key-clear")
        for digit in "13800000000":
            self.tap(f"#form-pad-key-{digit}")
        self.tap("#form-save")
        self.wait("the phone saved", lambda: self.value("#form-value-phone") == "13800000000" and not self.exists("#form-error-phone"))
        for key, answer in (("contributionLevel", "#form-option-0"), ("receivesOtherPension", "#form-no"),
                            ("insuredCategory", "#form-option-0"), ("hasEmployeeInsurance", "#form-no")):
            # A row low on the page is scrolled to the middle first (the sticky action bar covers the bottom).
            self.js("const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'})", f"#form-edit-{key}")
            self.tap(f"#form-edit-{key}")
            self.tap(answer)
            self.wait(f"{key} saved", lambda: self.exists("#form-fields") and not self.exists(f"#form-error-{key}")
                      and "未填写" not in (self.value(f"#form-value-{key}") or "未填写"))
        self.tap("#form-next")

    def deferral(self):
        self.on("attract")
        masked = self.place("zhao")
        self.on("services")
        self.tap("#tab-search")
        self.tap("#kw-不动产")
        self.tap(f"#item-{ITEM_DEFERRABLE}")
        self.on("notice")
        if "可容缺后补" not in self.text():
            raise Failure("the notice does not say which material may follow")
        self.tap("#start")
        self.on("materials")
        self.fill_materials(("required",))
        self.tap("#materials-next")
        self.on("delivery")
        self.tap("#submit")
        self.on("deferral", 20)
        if "告知承诺书" not in self.text():
            raise Failure("no commitment text")
        self.check_rendered("deferral", False)
        self.shot("deferral")
        self.tap("#accept-commitment")
        self.wait("the conditional slip", lambda: self.exists("#take-slip"), 30)
        if not self.exists("#done-missing"):
            raise Failure("the done screen does not list the material to follow")
        number = self.value("#filing-number")
        self.deferral_number = number   # handed in later by the supplement scenario
        self.shot("done-deferral")
        self.tap("#end-session")
        self.on("attract")
        self.no_personal_data(masked, number)
        self.console_check("deferral", allowed=[r"/submit - Failed to load resource: the server responded with a status of 422"])

    def supplement(self):
        """补交 without the card: the deferral scenario's filing by its number and the ID's last four
        (a wrong ending refused first), what is owed and by when, the camera step, the slip."""
        self.on("attract")
        number = getattr(self, "deferral_number", None)
        if not number:
            raise Failure("the supplement scenario hands in the deferral scenario's material: run deferral first")
        holder = CITIZENS["zhao"][1]
        tail = holder[-4:]
        self.tap("#supplement-start")
        self.on("supplement")
        parts = number.split("-")
        for digit in parts[2] + parts[3]:
            self.tap(f"#filing-key-{digit}")
        self.wait("the number typed", lambda: (self.value("#filing-display") or "").endswith(parts[2] + "-" + parts[3]))
        wrong = "0000" if tail != "0000" else "1111"
        for digit in wrong:
            self.tap(f"#tail-key-{digit}")
        self.check_rendered("supplement", False)
        self.shot("supplement-identify")
        self.tap("#supplement-find")
        self.on("problem")
        if "后四位" not in self.text():
            raise Failure(f"a wrong ID ending is not explained: {self.text()[:200]!r}")
        self.tap("#problem-back")
        self.on("supplement")
        for _ in range(4):
            self.tap("#tail-key-del")
        for c in tail:
            self.tap(f"#tail-key-{'x' if c == 'X' else c}")
        self.tap("#supplement-find")
        self.wait("what is owed", lambda: self.exists("#owed"))
        owed = self.value("#owed") or ""
        if "退件" not in owed or not re.search(r"\d{4}-\d{2}-\d{2}", owed):
            raise Failure(f"the owed material does not say by when and what follows: {owed!r}")
        self.check_rendered("supplement owed", False)
        self.shot("supplement-owed")
        self.tap("#supplement-capture")
        self.on("materials")
        self.fill_materials(("required", "deferrable", "optional"))
        self.tap("#materials-next")
        self.wait("the supplement slip", lambda: self.exists("#supplement-slip") or self.exists("#supplement-slip-held"), 30)
        if not self.exists("#supplement-slip"):
            raise Failure(f"the supplement slip did not print: {self.text()[:300]}")
        if not self.exists("#supplement-complete"):
            raise Failure("the filing is not said to be complete after the supplement")
        self.check_rendered("supplement done", False)
        self.shot("supplement-done")
        self.tap("#supplement-done")
        self.on("attract")
        self.no_personal_data(holder, number)
        self.console_check("supplement", allowed=[r"/supplements - Failed to load resource: the server responded with a status of 403"])

    def agent(self):
        """帮办代办: 吴九's card, the principal entered (name, then the number on the pad with X), both
        masked from then on, the 授权委托书 required, the normal flow, both masked on the done screen."""
        from selenium.webdriver.common.by import By
        self.on("attract")
        masked = self.place("wu")
        self.on("services")
        self.tap("#tab-search")
        self.tap("#kw-不动产")
        self.tap(f"#item-{ITEM_DEFERRABLE}")
        self.on("notice")
        self.tap("#agent-start")
        self.on("agent")
        self.check_rendered("agent", False)
        self.shot("agent-choose")
        self.tap("#agent-enter")
        self.wait("the name field", lambda: self.exists("#principal-name"))
        name, number = PRINCIPAL
        self.driver.find_element(By.CSS_SELECTOR, "#principal-name").send_keys(name)
        self.wait("the name typed", lambda: self.js("return document.querySelector('#principal-name').value") == name)
        for c in number:
            self.tap(f"#principal-key-{'x' if c == 'X' else c}")
        self.wait("the number typed", lambda: self.value("#principal-display") == number)
        self.shot("agent-enter")
        self.tap("#principal-confirm")
        self.wait("both identities", lambda: self.exists("#agent-principal"))
        shown = number[:4] + "*" * 10 + number[-4:]
        if shown not in (self.value("#agent-principal") or "") or masked not in (self.value("#agent-agent") or ""):
            raise Failure(f"the summary does not show both masked: {self.value('#agent-facts')!r}")
        self.no_personal_data_now(number, name)
        self.check_rendered("agent ready", False)
        self.shot("agent-ready")
        self.tap("#agent-continue")
        self.on("materials")
        if "授权委托书" not in self.text():
            raise Failure("the 授权委托书 is not asked for")
        self.fill_materials(("required",))
        self.tap("#materials-next")
        self.on("delivery")
        self.tap("#submit")
        self.on("deferral", 20)
        self.tap("#accept-commitment")
        self.wait("the agent's slip", lambda: self.exists("#take-slip"), 30)
        if shown not in (self.value("#agent-principal") or "") or masked not in (self.value("#agent-agent") or ""):
            raise Failure("the done screen does not show both masked")
        filing = self.value("#filing-number")
        self.shot("done-agent")
        self.tap("#end-session")
        self.on("attract")
        self.no_personal_data(masked, shown, number, name, filing)
        self.console_check("agent", allowed=[r"/submit - Failed to load resource: the server responded with a status of 422"])

    def agent_card(self):
        """帮办代办 with the principal's own card: read next, it joins the agent's session (no new citizen)."""
        self.on("attract")
        masked = self.place("wu")
        self.on("services")
        self.tap(f"#item-{ITEM_JOURNEY}")
        self.on("notice")
        self.tap("#agent-start")
        self.on("agent")
        self.tap("#agent-by-card")
        self.wait("the principal's card asked for", lambda: self.exists("#agent-wait-card"))
        name, number = PRINCIPAL_CARD
        self.http("POST", "/api/v1/sim/idcard/place", {"name": name, "idNumber": number, "sex": "male"}, expect=202)
        shown = number[:4] + "*" * 10 + number[-4:]
        self.wait("the principal read in", lambda: shown in (self.value("#agent-principal") or ""))
        self.http("POST", "/api/v1/sim/idcard/remove", expect=202)
        if masked not in (self.value("#agent-agent") or "") or masked not in (self.value("#citizen-name") or ""):
            raise Failure("the principal's card replaced the agent's session")
        if not self.exists("#agent-attorney") or "已读取" not in self.value("#agent-attorney"):
            raise Failure("the summary does not say the principal's card was read")
        self.tap("#agent-continue")
        self.on("materials")
        self.tap("#end-session")
        self.on("attract")
        self.no_personal_data(masked, shown, number)
        self.console_check("agent-card")

    def green_channel(self):
        """绿色通道 without a card: a declared ground on the ticket screen, the ticket says the window verifies it."""
        self.on("attract")
        self.tap("#queue-no-card")
        self.on("queue")
        self.wait("the green channel", lambda: self.exists("#declare-pregnant"))
        self.tap("#declare-pregnant")
        self.wait("the declaration noted", lambda: self.exists("#declared-note"))
        self.check_rendered("queue (绿色通道)", False)
        self.shot("queue-green-channel")
        self.tap("#category-general")
        self.on("ticket")
        said = self.value("#ticket-priority") or ""
        if "绿色通道（孕妇）" not in said or "核验" not in said:
            raise Failure(f"the ticket does not say 绿色通道 and who verifies it: {said!r}")
        self.check_rendered("ticket (绿色通道)", False)
        self.shot("ticket-green-channel")
        self.tap("#ticket-done")
        self.on("attract")
        self.console_check("green-channel")

    def no_personal_data_now(self, *data):
        """While the session goes on: these are not in the page's DOM or state (only masked forms are)."""
        html = self.js("return document.documentElement.outerHTML")
        state = self.js("return import('/screen/app.js').then(m => JSON.stringify(m.current(), (k, v) => v instanceof Map ? [...v] : v))")
        for datum in data:
            for where, content in (("DOM", html), ("JS state", state)):
                if datum in content:
                    raise Failure(f"{datum!r} is in the {where} once entered")

    def second_card(self):
        self.on("attract")
        first = self.place("sun")
        self.on("services")
        self.tap(f"#item-{ITEM_JOURNEY}")
        self.on("notice")
        self.tap("#start")
        self.on("materials")
        self.tap("#take")
        self.wait("a page", lambda: self.exists(".page"))
        second = self.place("li")
        self.on("services")
        if first in self.text() or first in self.js("return document.documentElement.outerHTML"):
            raise Failure("the first citizen's name stays after another card")
        if self.exists(".page"):
            raise Failure("the first citizen's pages stay after another card")
        self.tap("#end-session")
        self.on("attract")
        self.no_personal_data(first, second)
        self.console_check("second-card")

    def timeout(self):
        self.on("attract")
        masked = self.place("qian")
        self.on("services")
        self.tap(f"#item-{ITEM_JOURNEY}")
        self.on("notice")
        self.tap("#start")
        self.on("materials")
        self.tap("#take")
        self.wait("a page", lambda: self.exists(".page"))
        settings = self.http("GET", "/api/v1/screen/settings")
        limit = settings["sessionTimeoutSeconds"] + 10
        # The preview keeps running and the event stream stays open: neither keeps the session alive.
        self.wait("the countdown", lambda: self.exists("#countdown"), limit)
        self.shot("countdown")
        self.tap("#stay")
        self.wait("the countdown gone", lambda: not self.exists("#countdown"), 10)
        self.wait("the countdown again", lambda: self.exists("#countdown"), limit)
        self.on("attract", limit)
        self.no_personal_data(masked)
        if self.exists(".page") or self.exists("#citizen-name"):
            raise Failure("pages or the name stay after the timeout")
        self.console_check("timeout")

    def maintenance(self):
        self.on("attract")
        for printer in ("receipt", "ticket"):
            self.http("POST", f"/api/v1/sim/printers/{printer}/paper", {"state": "out"}, expect=202)
        self.on("maintenance", 30)
        if "设备维护中" not in (self.value("#maintenance-message") or ""):
            raise Failure(f"the maintenance screen lacks the configured message: {self.text()[:200]}")
        self.check_rendered("maintenance", False)
        self.shot("maintenance")
        for printer in ("receipt", "ticket"):
            self.http("POST", f"/api/v1/sim/printers/{printer}/paper", {"state": "ok"}, expect=202)
        if self.args.staff_pin:
            login = self.http("POST", "/api/v1/staff/login", {"account": self.args.staff_account, "pin": self.args.staff_pin}, expect=200)
            bearer = {"Authorization": f"Bearer {login['token']}"}
            for printer in ("receipt", "ticket"):
                self.http("POST", f"/api/v1/staff/printers/{printer}/restock", headers=bearer)
        self.on("attract", 40)
        self.console_check("maintenance", allowed=[r"status of 503"])

    def restart(self):
        if not (self.args.kioskd_pid and self.args.kioskd_command):
            raise Failure("the restart scenario needs --kioskd-pid and --kioskd-command")
        self.on("attract")
        masked = self.place("zhang")
        self.on("services")
        os.kill(self.args.kioskd_pid, signal.SIGKILL)
        self.on("recovery", 15)
        if "系统正在恢复" not in self.text():
            raise Failure("the recovery screen does not say so")
        self.shot("recovery")
        command = json.loads(self.args.kioskd_command)
        environment = dict(os.environ, **command.get("environment", {}))
        self.restarted = subprocess.Popen([command["executable"]] + command["arguments"], env=environment,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Never white: the recovery screen stays until kioskd answers, then the attract screen.
        deadline = time.monotonic() + 60
        while self.screen() != "attract":
            if time.monotonic() > deadline:
                raise Failure("kioskd restarted but the screen did not come back")
            if not self.text().strip() or self.screen() not in ("recovery", "attract", "maintenance"):
                raise Failure(f"the page went blank or elsewhere while kioskd restarted: {self.screen()!r}")
            time.sleep(0.1)
        self.no_personal_data(masked)
        # Expected: the requests that found kioskd gone, and the page's check that the citizen's
        # session survived (a restarted kioskd has none: 404, so the page starts over).
        self.console_check("restart", allowed=[r"/keepalive - Failed to load resource: the server responded with a status of 404",
                                               r"ERR_CONNECTION_REFUSED", r"ERR_EMPTY_RESPONSE", r"ERR_CONNECTION_RESET",
                                               r"ERR_INCOMPLETE_CHUNKED_ENCODING", r"status of 503"])


# The rendered page checked against the 适老化 floor: every visible text at least 24 px (18 pt; 32 px
# in 长辈版), line height at least 1.3, contrast at least 4.5:1 against the backdrop it is drawn on,
# every control at least 44×44 px (60×60 in 长辈版; 60 px is 15 mm on a 21.5" 1920×1080 panel) and
# with an accessible name, images with alt text, no :hover rule, no text selection.
ACCESSIBILITY_JS = r"""
const large = arguments[0];
const problems = [];
const minText = large ? 32 : 24, minTarget = large ? 60 : 44;
function rgb(c) { const m = c.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; }
function lum([r, g, b]) { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); }
function backdrop(el) {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0.5) return c;
  }
  return [255, 255, 255];
}
function visible(el) { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; }
let minFont = 1e9;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.textContent.trim()) continue;
  const el = n.parentElement;
  if (!el || !visible(el) || el.closest('[aria-hidden="true"]')) continue;
  const s = getComputedStyle(el);
  const size = parseFloat(s.fontSize);
  minFont = Math.min(minFont, size);
  const label = `${el.tagName}.${el.className} "${n.textContent.trim().slice(0, 12)}"`;
  if (size < minText - 0.01) problems.push(`text ${size}px < ${minText}px: ${label}`);
  const lh = s.lineHeight === 'normal' ? 1.2 * size : parseFloat(s.lineHeight);
  if (lh / size < 1.3 - 0.01) problems.push(`line height ${(lh / size).toFixed(2)} < 1.3: ${label}`);
  const fg = rgb(s.color), bg = backdrop(el);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} < 4.5: ${label} (${s.color} on rgb(${bg.slice(0, 3)}))`);
}
for (const el of document.querySelectorAll('button, [role="button"], a[href], input, select')) {
  if (!visible(el)) continue;
  const r = el.getBoundingClientRect();
  const name = (el.getAttribute('aria-label') || el.innerText || el.getAttribute('title') || '').trim();
  if (r.width < minTarget - 0.5 || r.height < minTarget - 0.5) problems.push(`target ${Math.round(r.width)}×${Math.round(r.height)} < ${minTarget}: ${el.id || name}`);
  if (!name) problems.push(`control without a name: ${el.outerHTML.slice(0, 80)}`);
}
for (const img of document.querySelectorAll('img')) if (visible(img) && !img.alt) problems.push(`image without alt: ${img.src}`);
for (const sheet of document.styleSheets) for (const rule of sheet.cssRules) if (rule.selectorText && rule.selectorText.includes(':hover')) problems.push(`hover rule: ${rule.selectorText}`);
if (getComputedStyle(document.body).userSelect !== 'none') problems.push('text can be selected');
const meta = document.querySelector('meta[name="viewport"]');
if (!meta || !/user-scalable=no/.test(meta.content)) problems.push('pinch-zoom is not off');
if (document.documentElement.scrollWidth > innerWidth + 1) problems.push(`the page overflows sideways (${document.documentElement.scrollWidth} > ${innerWidth})`);
return { problems, minFont };
"""

if __name__ == "__main__":
    sys.exit(main())
