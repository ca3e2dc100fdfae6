"""The costs JSON API under /api/v1: estimate, price history, compare regions, rules."""

from flask.views import MethodView

from core.api import Blueprint
from costs import queries, regions
from costs.rules import all_rules
from costs.schemas import (
    CompareRegionsArgs,
    CompareRegionsSchema,
    EstimateArgs,
    EstimateSchema,
    FactsArgs,
    FactsSchema,
    PriceHistorySchema,
)

blp = Blueprint("costs_api", __name__, url_prefix="/api/v1",
                description="True cost, price history and the cross-province decision")


@blp.route("/homes/<int:home_id>/estimate")
class Estimate(MethodView):
    @blp.arguments(EstimateArgs, location="query")
    @blp.response(200, EstimateSchema)
    def get(self, args, home_id):
        """Estimate the monthly bill, one-off payments and LTCI share of a home for a care level."""
        return queries.estimate_for(home_id, args)


@blp.route("/homes/<int:home_id>/price-history")
class PriceHistory(MethodView):
    @blp.response(200, PriceHistorySchema)
    def get(self, home_id):
        """List a home's fees per care level at every date they changed, announced changes included."""
        return {"home_id": home_id, "rows": queries.price_history_rows(home_id)}


@blp.route("/compare-regions")
class CompareRegions(MethodView):
    @blp.arguments(CompareRegionsArgs, location="query")
    @blp.response(200, CompareRegionsSchema)
    def get(self, args):
        """For a care level and budget, compare the cities within N hours of the family's place."""
        origin = queries.origin_or_error(args, None)  # stateless: the family_city parameter only
        budget = args["budget_yuan"] * 100 if args.get("budget_yuan") is not None else None
        return regions.compare_regions(origin, args["care_level"], budget, args["max_hours"])


@blp.route("/cost-rules")
class CostRules(MethodView):
    @blp.response(200)
    def get(self):
        """Return the versioned rules files behind the estimates, with their sources and dates."""
        return all_rules()


@blp.route("/policy-facts")
class PolicyFacts(MethodView):
    @blp.arguments(FactsArgs, location="query")
    @blp.response(200, FactsSchema)
    def get(self, args):
        """List the policy facts of a version (default: the current one) with their sources and status."""
        return queries.facts_listing(args.get("version"))
