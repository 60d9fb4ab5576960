"""A small Chrome DevTools Protocol client for the browser test: headless Chromium, one page, no network.

Chromium is started with a proxy that does not exist and a resolver that
resolves nothing, so a request that tried to leave the file would fail; the
Network domain records every request all the same, and the test checks
that none went anywhere but the file itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-allow-origins=*",
    "--window-size=1400,1000",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium with its first page attached: ``browser.call(method, **params)``, ``browser.events``."""

    def __init__(self, executable: str, profile: Path, extra_flags: tuple[str, ...] = ()):
        import websocket  # websocket-client, a dev dependency

        self.process = subprocess.Popen(
            [executable, *FLAGS, *extra_flags, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = self._port(profile / "DevToolsActivePort")
            page = self._page_target(port)
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        except BaseException:
            self.close()
            raise
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def _port(self, file: Path, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.process.returncode}")
            try:
                return int(file.read_text().splitlines()[0])
            except (OSError, IndexError, ValueError):
                time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port")

    @staticmethod
    def _page_target(port: int, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                pages = [t for t in json.load(response) if t.get("type") == "page"]
            if pages:
                return pages[0]
            time.sleep(0.05)
        raise TimeoutError("chromium opened no page")

    def _receive(self) -> dict[str, Any]:
        message = json.loads(self.ws.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for_event(self, method: str, since: int = 0, timeout: float = 60) -> dict[str, Any]:
        """The first ``method`` event from ``events[since:]`` on, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        seen = since
        while time.monotonic() < deadline:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            self._receive()
        raise TimeoutError(f"no {method} within {timeout} s")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"{expression!r} stayed false for {timeout} s")

    def errors(self) -> list[str]:
        """Every JavaScript error or error-level log line seen so far."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(params["entry"].get("text", ""))
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_page(browser: Browser, url: str) -> None:
    """Load ``url`` with every domain the test reads enabled and window.alert recorded instead of shown."""
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.call(f"{domain}.enable")
    browser.call(
        "Page.addScriptToEvaluateOnNewDocument",
        source="window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };",
    )
    start = len(browser.events)
    browser.call("Page.navigate", url=url)
    browser.wait_for_event("Page.loadEventFired", since=start)


def wait_drawn(browser: Browser, timeout: float = 60) -> None:
    """Wait until the report's script has drawn every figure (it draws them one after the other)."""
    browser.wait_until("typeof REPORT_DRAWN !== 'undefined' && REPORT_DRAWN.then(function () { return true; })",
                       timeout=timeout)


def ci() -> bool:
    return bool(os.environ.get("CI"))
