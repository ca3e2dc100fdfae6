"""A geopy-shaped geocoder for the tests (INGEST_GEOCODER="tests.ingest.fake_geocoder:BaiduLike").

It answers in BD-09, as geopy's BaiduV3 does, a fixed point per address, and counts the calls it gets.
"""

from geopy.location import Location

from geo import coords

CALLS = []
POINTS = {"蜀山区长江西路 500 号": (31.8600, 117.2500)}  # WGS-84; answered in BD-09


class BaiduLike:
    def __init__(self, **options):
        self.options = options

    def geocode(self, query, **kwargs):
        """Answer QUERY in BD-09 (None when unknown), recording the call."""
        CALLS.append(query)
        for address, (lat, lon) in POINTS.items():
            if query.endswith(address):
                blat, blon = coords.wgs84_to_bd09(lat, lon)
                return Location(query, (blat, blon), {})
        return None


class Silent(BaiduLike):
    """The first link of a chain that knows nothing: every query goes on to the next geocoder."""

    def geocode(self, query, **kwargs):
        """Record the call and answer nothing."""
        CALLS.append(("silent", query))
        return None
