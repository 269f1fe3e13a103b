"""The feed emulator: one loopback HTTP server speaking each feed's wire format.

One router per feed, each answering from a scenario at the scenario clock's time:
:mod:`.opensky` (``/api/states/all``, OAuth2 tokens, its own credit table, 429s),
:mod:`.adsbx` (ADS-B Exchange v2 ``/v2/point/...``, jv2 envelope), :mod:`.routeset`
(adsb.lol ``/api/0/routeset``) and :mod:`.faa_notam` (``/notamapi/v1/notams``, header
credentials, pages); :mod:`.faults` damages what they answer on request, and
:mod:`.control` (``/_emulator/clock``, ``/_emulator/faults``, ``/_emulator/truth``) lets
tests and the demo drive time and read what really happened.  :mod:`.app` puts them together.
"""

from service.sim.emulator.app import create_emulator_app, run_emulator

__all__ = ["create_emulator_app", "run_emulator"]
