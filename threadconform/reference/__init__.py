"""Embedded reference servers: a conforming implementation of every contract, on SQLite.

They are a second, independent reading of the seed documents (they never read the specs'
`x-pagination`), so a mistake in a spec shows up as a failing suite run against them.

    with start("kortix") as server:
        httpx.get(server.url + "/threads",
                  headers={"Authorization": f"Bearer {server.credentials.primary}"})

`start(..., fault="name")` serves one named defect instead (see `faults(contract)`).
`start(..., live=Live(every=3, mode="insert"))` changes the data while it is listed (see
`live.py`); `server.changes` counts the changes.
"""

from threadconform.reference.app import CONTRACTS, OPT_IN, SERVED
from threadconform.reference.auth import Credentials, credentials, header
from threadconform.reference.faults import FAULTS, Fault, credentials_for, faults
from threadconform.reference.live import MODES, Change, Live
from threadconform.reference.server import RunningServer, start, start_subprocess

__all__ = [
    "CONTRACTS",
    "FAULTS",
    "MODES",
    "OPT_IN",
    "SERVED",
    "Change",
    "Credentials",
    "Fault",
    "Live",
    "RunningServer",
    "credentials",
    "credentials_for",
    "faults",
    "header",
    "start",
    "start_subprocess",
]
