"""The public JSON API under /api/v1: search, home detail, compare, regions."""

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from marshmallow import validate

from core.api import Blueprint
from core.vocab import CARE_LEVELS
from geo.gazetteer import gazetteer
from marketplace import presenters, queries, search_terms
from marketplace.api_schemas import CompareSchema, HomeDetailSchema, RegionsSchema, SearchResponseSchema
from marketplace.schemas import CompareArgs, HomeSearchArgs, _region_code
from search.service import run_search

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="Search and compare care homes")


class HomeDetailArgs(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    care_level = ma.fields.String(validate=validate.OneOf(CARE_LEVELS))
    from_city = ma.fields.String(validate=_region_code("city"))


@blp.route("/homes")
class Homes(MethodView):
    # schema instances, not classes: webargs would build (deep-copying every field) one per request
    @blp.arguments(HomeSearchArgs(), location="query", as_kwargs=False)
    @blp.response(200, SearchResponseSchema)
    def get(self, query):
        """Search care homes: text, filters, near a point; facets count what the filters return."""
        # the hot path: presenters already build the documented shape (a test holds schema and payload
        # equal), so skip marshmallow's per-field dump
        return jsonify(presenters.search_payload(run_search(query, search_terms.lexicon()), query))


@blp.route("/homes/<int:home_id>")
class HomeDetail(MethodView):
    @blp.arguments(HomeDetailArgs(), location="query")
    @blp.response(200, HomeDetailSchema)
    def get(self, args, home_id):
        """Get one home: fees per care level, vacancies, grade, designations, contact, provenance."""
        # as the search: the presenter builds the documented shape (a test holds schema and payload equal)
        detail = presenters.home_detail(queries.get_home(home_id), args.get("care_level"), args.get("from_city"))
        return jsonify(detail)


@blp.route("/compare")
class Compare(MethodView):
    @blp.arguments(CompareArgs, location="query")
    @blp.response(200, CompareSchema)
    def get(self, args):
        """Compare up to 4 homes side by side for a care level, with the rows that differ."""
        homes = queries.get_homes(args["ids"])
        return presenters.compare_payload(homes, args.get("care_level"), args.get("from_city"))


def _region(r, **children):
    return {"code": r.code, "name": r.name, "pinyin": r.pinyin, "lat": r.lat, "lon": r.lon,
            "district_type": r.district_type, **children}


@blp.route("/regions")
class Regions(MethodView):
    @blp.response(200, RegionsSchema)
    def get(self):
        """List provinces, cities and districts with GB/T 2260 codes and WGS-84 centres."""
        gz = gazetteer()
        return {"provinces": [
            _region(p, cities=[_region(c, districts=[_region(d) for d in gz.districts_of(c.code)])
                               for c in gz.cities_of(p.code)])
            for p in gz.provinces]}
