"""One account's browser on the course's JupyterHub: log in, JupyterLab, nbgrader's Assignment List.

A :class:`HubSession` is a Chromium context of its own (its own cookies, as a
person's own browser) on a hub started by ``support.hub.Hub``. It logs in through
the hub's login page with the account's password; the hub then starts the
account's server, and the page lands in JupyterLab. What a student does in
JupyterLab is :class:`jupyterlab.LabPage`'s; the Assignment List, the terminal and
the formgrader's pages are here. Every wait names what it waited for and fails
with the page's state and a screenshot (``LabError``).
"""

import re
from pathlib import Path

from .jupyterlab import PAGE_READY, LabPage

#: Seconds for the hub to start an account's server and JupyterLab to show (a cold
#: start of JupyterLab and nbgrader on a busy 2-core machine).
SPAWN = 180
#: Seconds for an nbgrader action of the Assignment List (fetch, submit, fetch feedback).
EXCHANGE_ACTION = 60


class HubSession(LabPage):
    """``account`` in a Chromium context of its own on ``hub``; :meth:`close` ends it."""

    def __init__(self, hub, account, browser, artifacts):
        self.hub = hub
        self.account = account
        self.artifacts = Path(artifacts) / account.name
        self.shots = 0
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    @property
    def url(self):
        """The account's server, behind the hub's proxy."""
        return f"{self.hub.url}/user/{self.account.name}"

    def address(self, path):
        return f"{self.url}{path}"

    def server_log(self, lines=30):
        return self.hub.log_tail(lines)

    def close(self):
        self.context.close()

    # -- the hub ------------------------------------------------------------------
    def log_in(self, password=None):
        """Log in on the hub's login page; wait for JupyterLab (the hub starts the server)."""
        self.page.goto(f"{self.hub.url}/hub/login", wait_until="domcontentloaded")
        self.page.fill("#username_input", self.account.name)
        self.page.fill("#password_input", password or self.account.password)
        self.page.click("#login_submit")
        self.wait_for(f"JupyterLab of {self.account.name} after logging in (the hub starts "
                      f"the server as that account)",
                      "() => document.querySelector('.lm-MenuBar-itemLabel') !== null",
                      SPAWN)

    def menu_items(self, top):
        """The labels of the menu ``top`` of JupyterLab's menu bar (the menu is closed again)."""
        self.page.locator(".lm-MenuBar-itemLabel",
                          has_text=re.compile(rf"^{re.escape(top)}$")).click()
        items = self.page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()
        self.page.keyboard.press("Escape")
        # Lumino detaches a closed menu; clicked again before that, the menu bar closed it
        # instead of opening it (a busy machine: the next click waited 30 s for its item)
        self.wait_for(f"the {top} menu to close", "() => !document.querySelector('.lm-Menu')",
                      PAGE_READY)
        return [item for item in items if item.strip()]

    # -- nbgrader's Assignment List -------------------------------------------------
    def assignment_list(self):
        """Nbgrader > Assignment List; wait until it has listed the released assignments."""
        self.menu("Nbgrader", "Assignment List")
        self.wait_for("the Assignment List to load the released assignments",
                      """() => {
                          const loading = document.querySelector('#released_assignments_list_loading');
                          return document.querySelector('#released_assignments_list') && loading
                                 && loading.hidden;
                      }""", EXCHANGE_ACTION)

    def _row(self, listing, assignment):
        return self.page.locator(f"#{listing} > .list_item", has_text=assignment).first

    def _press(self, listing, assignment, button, then_listing, then_text, what):
        self._row(listing, assignment).locator("button", has_text=button).click()
        self.wait_for(what, """([listing, assignment, text]) => [...document.querySelectorAll(
                              '#' + listing + ' > .list_item')].some(row =>
                              row.innerText.includes(assignment) && row.innerText.includes(text))""",
                      EXCHANGE_ACTION, arg=[then_listing, assignment, then_text])

    def fetch(self, assignment):
        """Press Fetch beside ``assignment`` under Released assignments."""
        self._press("released_assignments_list", assignment, "Fetch", "fetched_assignments_list",
                    "Submit", f"{assignment} to be listed under Downloaded assignments after Fetch")

    def submit(self, assignment):
        """Press Submit beside ``assignment`` under Downloaded assignments."""
        self._press("fetched_assignments_list", assignment, "Submit",
                    "submitted_assignments_list", "Fetch Feedback",
                    f"{assignment} to be listed under Submitted assignments after Submit")

    def fetch_feedback(self, assignment):
        """Press Fetch Feedback beside ``assignment``; wait for its "(view feedback)" link."""
        self._press("submitted_assignments_list", assignment, "Fetch Feedback",
                    "submitted_assignments_list", "(view feedback)",
                    f"a '(view feedback)' link beside {assignment} after Fetch Feedback")

    # -- a terminal in JupyterLab ---------------------------------------------------
    def open_terminal(self):
        """File > New > Terminal; wait until the terminal takes keys."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^File$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^New$")).first.hover()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Terminal$")).click()
        self.wait_for_selector("a terminal to open", ".jp-Terminal .xterm-helper-textarea",
                               PAGE_READY)
        self.page.locator(".jp-Terminal").last.click()

    def type_command(self, command):
        """Type ``command`` and Enter into the terminal open last."""
        self.page.locator(".jp-Terminal .xterm-helper-textarea").last.focus()
        self.page.keyboard.type(command, delay=2)
        self.page.keyboard.press("Enter")

    # -- the formgrader, in a tab of its own ------------------------------------------
    def formgrader(self, path=""):
        """Open ``<server>/formgrader/<path>`` (JupyterHub 4.1+ does not let it show in an iframe)."""
        self.page.goto(f"{self.url}/formgrader/{path}", wait_until="domcontentloaded",
                       timeout=PAGE_READY * 1000)
