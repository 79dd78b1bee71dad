"""JupyterLab in a real browser: Run All in headless Chromium, then use the widgets.

    pytest -m browser          # a second step after plain `pytest` (README, .ci/run)

Starts JupyterLab on 127.0.0.1 (a free port, a token) in a temporary copy of the
notebooks and helpers, under ``smoke`` with live widgets, and drives Debian's
``chromium`` through ``chromedriver`` with selenium. Skips, saying why, when any of
the three is missing. The server is stopped whatever happens.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
RUN_ALL_TIMEOUT = 240  # seconds per notebook; smoke runs take well under a minute each

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install -r requirements.txt)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {server.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout:.0f} s")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of notebooks/ and helpers/; yields its base URL and token."""
    home = tmp_path_factory.mktemp("lab")
    for folder in ("notebooks", "helpers"):
        shutil.copytree(ROOT / folder, home / folder, ignore=shutil.ignore_patterns("__pycache__"))
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("CNN_STATIC_WIDGETS", "PYTHONPATH")}
    env.update(CNN_PROFILE="smoke", JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"))
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--port-retries=0", "--allow-root", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
         "--expose-app-in-browser", f"--LabApp.user_settings_dir={home / 'settings'}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}"],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/api/status?token={token}", server)
        yield base, token
    finally:
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if server.poll() is None:
                os.killpg(server.pid, sig)  # its own session: the kernels it started go too
                try:
                    server.wait(grace)
                except subprocess.TimeoutExpired:
                    pass
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# JavaScript run in the page, through the app object `--expose-app-in-browser` provides.
NOTEBOOK = "const nb = window.jupyterapp.shell.currentWidget;"
KERNEL_READY = NOTEBOOK + """
    return !!(nb && nb.sessionContext && nb.sessionContext.session && nb.sessionContext.session.kernel
              && nb.sessionContext.session.kernel.status === 'idle');"""
STATE = NOTEBOOK + """
    const cells = nb.content.widgets.filter(c => c.model.type === 'code').map(c => ({
        count: c.model.executionCount,
        errors: c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                 .map(o => o.ename + ': ' + o.evalue)}));
    return {cells, dirty: nb.context.model.dirty, status: nb.sessionContext.session.kernel.status};"""


def open_and_run_all(driver, lab_url, token, name):
    """Open ``notebooks/name``, check it opens unmodified, Run All; return the final state."""
    if driver.current_url.startswith(lab_url):  # the last notebook's kernel goes, this one opens
        driver.execute_script(NOTEBOOK + f"""
            if (nb && nb.sessionContext) {{ nb.sessionContext.shutdown(); }}
            window.jupyterapp.commands.execute('docmanager:open', {{path: 'notebooks/{name}'}});""")
    else:
        driver.get(f"{lab_url}/lab/tree/notebooks/{name}?reset&token={token}")
    WebDriverWait(driver, 120, 0.5).until(
        lambda d: d.execute_script("return !!window.jupyterapp && !!window.jupyterapp.shell.currentWidget "
                                   f"&& window.jupyterapp.shell.currentWidget.title.label === '{name}';"))
    WebDriverWait(driver, 120, 0.5).until(lambda d: d.execute_script(KERNEL_READY))
    time.sleep(1)  # let the kernel's info reply update the metadata, as it would mark a change
    opened = driver.execute_script(STATE)
    assert not opened["dirty"], f"{name} is marked modified as soon as it opens (metadata differs)"
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")

    def finished(d):
        state = d.execute_script(STATE)
        done = state["status"] == "idle" and all(c["count"] is not None for c in state["cells"])
        return state if done or any(c["errors"] for c in state["cells"]) else False

    state = WebDriverWait(driver, RUN_ALL_TIMEOUT, 1).until(finished)
    errors = [e for c in state["cells"] for e in c["errors"]]
    assert not errors, f"{name}: {errors}"
    assert all(c["count"] is not None for c in state["cells"]), f"{name}: a code cell did not run"
    return state


def dropdown(driver, label):
    """The <select> of the ipywidgets Dropdown whose description is ``label``."""
    return driver.find_element(By.XPATH, f"//div[contains(@class,'widget-dropdown')]"
                                         f"[label[normalize-space()='{label}']]//select")


def figure_of(control):
    """The data URL of the figure in the same explorer (widget box) as ``control``."""
    box = control.find_element(By.XPATH, "./ancestor::div[contains(@class,'jp-OutputArea-output')][1]")
    return box.find_element(By.CSS_SELECTOR, ".widget-output img").get_attribute("src")


def changes_figure(driver, control, action, what):
    before = figure_of(control)
    action()
    WebDriverWait(driver, 30, 0.25).until(lambda d: figure_of(control) != before,
                                          f"the figure did not change within 30 s after {what}")


def test_01_runs_and_the_explorer_follows_kernel_and_stride(lab, browser):
    open_and_run_all(browser, *lab, "01_convolution_and_pooling.ipynb")
    kernel = WebDriverWait(browser, 30).until(lambda d: dropdown(d, "kernel"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", kernel)
    changes_figure(browser, kernel, lambda: Select(kernel).select_by_visible_text("box blur"),
                   "the kernel dropdown changed to 'box blur'")
    stride = browser.find_element(By.XPATH, "//div[contains(@class,'widget-slider')]"
                                            "[label[normalize-space()='stride']]//div[contains(@class,'noUi-handle')]")
    changes_figure(browser, kernel, lambda: stride.send_keys(Keys.ARROW_RIGHT), "the stride slider moved 1 -> 2")


def test_02_runs_and_the_image_browser_follows_its_class(lab, browser):
    open_and_run_all(browser, *lab, "02_cifar10_dataset.ipynb")
    chosen = WebDriverWait(browser, 30).until(lambda d: dropdown(d, "class"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", chosen)
    other = Select(chosen).options[3].text
    changes_figure(browser, chosen, lambda: Select(chosen).select_by_visible_text(other),
                   f"the class dropdown changed to {other!r}")


def test_05_runs_and_tqdm_draws_a_widget_bar(lab, browser):
    open_and_run_all(browser, *lab, "05_lenet5_mnist_train_on_batch.ipynb")
    bars = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output .widget-hprogress")
    assert bars, "tqdm printed text instead of drawing a progress widget"
    assert "iterations" in bars[0].find_element(By.XPATH, "./..").text
