"""Conflicts of interest: a reviewer tied to the home, its operator or a competitor."""

from urllib.parse import urlsplit

import sqlalchemy as sa

from core.extensions import db
from reviews.screening.base import CONFLICT_OF_INTEREST, Signal

# Mail and hosting domains that many unrelated people share: a match on these says nothing.
SHARED_DOMAINS = frozenset({
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com", "139.com",
    "aliyun.com", "189.cn", "wo.cn", "gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "weibo.com", "dianping.com", "meituan.com", "taobao.com", "github.io",
})
_SECOND_LEVEL = frozenset({"com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "com.hk", "org.hk",
                           "co.uk", "org.uk", "com.tw"})


def registrable_domain(host):
    """Return the registrable domain of HOST ("mail.x.com.cn" -> "x.com.cn"), or None."""
    labels = [label for label in (host or "").lower().strip().strip(".").split(".") if label]
    if len(labels) < 2:
        return None
    size = 3 if len(labels) >= 3 and ".".join(labels[-2:]) in _SECOND_LEVEL else 2
    return ".".join(labels[-size:])


def website_domain(website):
    """Return the registrable domain of a WEBSITE given with or without scheme, or None."""
    website = (website or "").strip()
    if not website:
        return None
    try:
        host = urlsplit(website if "//" in website else f"//{website}").hostname
    except ValueError:
        return None
    return registrable_domain(host)


def _email_domain(email):
    domain = registrable_domain(email.rsplit("@", 1)[1]) if email and "@" in email else None
    return None if domain in SHARED_DOMAINS else domain


def _provider_relations(author, home):
    """Return how a provider user AUTHOR relates to HOME: own home, competitor in its city, or staff elsewhere."""
    from marketplace.models import Home

    if home.provider_id == author.provider_id:
        return [{"relation": "own_home", "provider_id": author.provider_id, "home_id": home.id}]
    rivals = db.session.scalars(sa.select(Home.id).where(Home.provider_id == author.provider_id,
                                                         Home.city_code == home.city_code)
                                .order_by(Home.id).limit(10)).all()
    if rivals:
        return [{"relation": "competitor", "provider_id": author.provider_id, "city_code": home.city_code,
                 "competing_home_ids": rivals}]
    return [{"relation": "provider_staff", "provider_id": author.provider_id}]


def _operator_domains(home):
    """Return {domain: home_id} of the websites of HOME and of the other homes of its operator."""
    from marketplace.models import Home

    homes = [home]
    if home.provider_id:
        homes = db.session.scalars(sa.select(Home).where(Home.provider_id == home.provider_id)).all()
    domains = {website_domain(h.website): h.id for h in homes if h.website}
    provider_site = getattr(home.provider, "website", None) if home.provider_id else None
    if provider_site:
        domains.setdefault(website_domain(provider_site), home.id)
    domains.pop(None, None)
    return domains


def _domain_relations(author, home):
    """Return the links between AUTHOR's e-mail domain and the websites of HOME's operator or its rivals."""
    from marketplace.models import Home

    domain = _email_domain(author.email)
    if not domain:
        return []
    own = _operator_domains(home)
    if domain in own:
        return [{"relation": "email_domain", "domain": domain, "home_id": own[domain]}]
    rivals = db.session.scalars(sa.select(Home).where(Home.city_code == home.city_code, Home.website != "",
                                                      Home.id != home.id).limit(500)).all()
    matches = [h.id for h in rivals if (h.provider_id is None or h.provider_id != home.provider_id)
               and website_domain(h.website) == domain]
    if matches:
        return [{"relation": "competitor_email_domain", "domain": domain, "competing_home_ids": matches[:10]}]
    return []


_CONFLICT_RISK = {"own_home": 90, "email_domain": 80, "competitor": 70, "competitor_email_domain": 60,
                  "provider_staff": 30}


def detect_conflict_of_interest(review):
    """Return a conflict_of_interest Signal when REVIEW's author is linked to the home's operator or a rival."""
    from accounts.models import User
    from marketplace.models import Home

    author = db.session.get(User, review.author_id) if review.author_id else None
    home = db.session.get(Home, review.home_id)
    if author is None or home is None:
        return None
    relations = _provider_relations(author, home) if author.provider_id else []
    relations += _domain_relations(author, home)
    if not relations:
        return None
    risk = max(_CONFLICT_RISK[r["relation"]] for r in relations)
    return Signal(CONFLICT_OF_INTEREST, risk, {"reviewer_id": author.id, "reviewer_role": author.role,
                                               "relations": relations})
