"""Embedded reference servers: a conforming implementation of every contract, on SQLite.

They are a second, independent reading of the seed documents (they never read the specs'
`x-pagination`), so a mistake in a spec shows up as a failing suite run against them.

    with start("kortix") as server:
        httpx.get(server.url + "/threads",
                  headers={"Authorization": f"Bearer {server.credentials.primary}"})

`start(..., fault="name")` serves one named defect instead (see `faults(contract)`).
"""

from threadconform.reference.app import CONTRACTS, OPT_IN, SERVED
from threadconform.reference.auth import Credentials, credentials, header
from threadconform.reference.faults import FAULTS, Fault, credentials_for, faults
from threadconform.reference.server import RunningServer, start, start_subprocess

__all__ = [
    "CONTRACTS",
    "FAULTS",
    "OPT_IN",
    "SERVED",
    "Credentials",
    "Fault",
    "RunningServer",
    "credentials",
    "credentials_for",
    "faults",
    "header",
    "start",
    "start_subprocess",
]
