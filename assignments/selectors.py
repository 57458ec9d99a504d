"""Reads, and the one scoping gate.

Every list, detail, form choice, export and task that shows roster data starts from one of
the `*_for_user` querysets below. A view never calls `Model.objects` for user-visible data:
it asks the gate, so a role's jurisdiction is decided in exactly one place.

Jurisdiction, by role:
- province / city reviewer: read everything in their region, change nothing;
- county staff: read and manage their county;
- township staff: read their township (later: keep its attendance);
- dispatching-unit liaison: read their unit's cadres and where they serve;
- cadre: read themselves.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Assignment, Cadre, DispatchingUnit, Finding, Profile, Region, Village

Role = Profile.Role


@dataclass(frozen=True)
class Scope:
    role: str | None
    region: Region | None = None
    unit_id: int | None = None
    cadre_id: int | None = None

    @property
    def is_reviewer(self) -> bool:
        return self.role in (Role.PROVINCE, Role.CITY)


_NO_SCOPE = Scope(role=None)


# Cadre scopes are also kept in the shared cache (settings.CACHES), because every cadre opens
# the app every morning to check in and the scope would otherwise cost two queries (profile,
# cadre) per request. Only cadre scopes: two ids, nothing that goes stale when a region is
# renamed, and staff are few. The entry is dropped whenever the answer could change: a Profile
# saved or deleted, a Cadre saved or deleted (for the user it has now and the one it had), a user
# created (ids are reused after a rollback in SQLite tests). Queryset .update()/bulk_update skip
# those signals, so entries also expire after SCOPE_CACHE_SECONDS; no app code links users that
# way (seed_demo does, on a demo database).
SCOPE_CACHE_SECONDS = 300


def _scope_key(user_id: int) -> str:
    return f"scope:u:{user_id}"


def _scope_cadre_key(cadre_id: int) -> str:
    return f"scope:c:{cadre_id}"


def scope_for_user(user) -> Scope:
    """The user's role and scope, cached on the user object for the request (and, for a cadre,
    in the shared cache across requests)."""
    if not getattr(user, "is_authenticated", False):
        return _NO_SCOPE
    cached = getattr(user, "_zhucun_scope", None)
    if cached is not None:
        return cached
    cadre_id = cache.get(_scope_key(user.pk))
    if cadre_id is not None:
        scope = Scope(role=Role.CADRE, cadre_id=cadre_id)
        user._zhucun_scope = scope
        return scope
    profile = Profile.objects.filter(user=user).select_related("region").first()
    if profile is None:
        scope = _NO_SCOPE
    elif profile.role == Role.CADRE:
        cadre_id = Cadre.objects.filter(user=user).values_list("id", flat=True).first()
        scope = Scope(role=Role.CADRE, cadre_id=cadre_id)
        if cadre_id is not None:  # an account not linked yet is not cached: linking must show at once
            cache.set_many({_scope_key(user.pk): cadre_id, _scope_cadre_key(cadre_id): user.pk},
                           timeout=SCOPE_CACHE_SECONDS)
    else:
        scope = Scope(role=profile.role, region=profile.region, unit_id=profile.unit_id)
    user._zhucun_scope = scope
    return scope


def scope_cache_forget(*, user_id: int | None = None, cadre_id: int | None = None) -> None:
    """Drop the cached scope of a user, and of whoever a cadre record was linked to."""
    keys = []
    if user_id is not None:
        keys.append(_scope_key(user_id))
    if cadre_id is not None:
        keys.append(_scope_cadre_key(cadre_id))
        previous_user = cache.get(_scope_cadre_key(cadre_id))
        if previous_user is not None:
            keys.append(_scope_key(previous_user))
    cache.delete_many(keys)


@receiver([post_save, post_delete], sender=Profile, dispatch_uid="zhucun_scope_profile")
def _forget_profile_scope(sender, instance, **kwargs):
    scope_cache_forget(user_id=instance.user_id)


@receiver([post_save, post_delete], sender=Cadre, dispatch_uid="zhucun_scope_cadre")
def _forget_cadre_scope(sender, instance, **kwargs):
    scope_cache_forget(user_id=instance.user_id, cadre_id=instance.pk)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="zhucun_scope_user")
def _forget_new_user_scope(sender, instance, created, **kwargs):
    if created:
        scope_cache_forget(user_id=instance.pk)


def county_scope_q(user, prefix: str) -> Q | None:
    """Q on a county foreign key (`prefix` is the path to it) for the region roles that see
    whole counties (province, city, county); None for the other roles."""
    scope = scope_for_user(user)
    if scope.role == Role.PROVINCE:
        return Q(**{f"{prefix}__parent__parent_id": scope.region.id})
    if scope.role == Role.CITY:
        return Q(**{f"{prefix}__parent_id": scope.region.id})
    if scope.role == Role.COUNTY:
        return Q(**{f"{prefix}_id": scope.region.id})
    return None


def row_scope_q(user, *, county: str, township: str | None = None, unit: str | None = None,
                cadre: str | None = None) -> Q | None:
    """Q keeping the rows of a model in the user's scope, given the paths from a row to its
    county, township, unit and cadre (e.g. county="village__county", unit="cadre__unit_id").
    A path left out means that role sees none of these rows; None means no rows at all."""
    scope = scope_for_user(user)
    county_q = county_scope_q(user, county)
    if county_q is not None:
        return county_q
    if scope.role == Role.TOWNSHIP and township:
        return Q(**{township: scope.region.id})
    if scope.role == Role.UNIT and unit:
        return Q(**{unit: scope.unit_id})
    if scope.role == Role.CADRE and scope.cadre_id and cadre:
        return Q(**{cadre: scope.cadre_id})
    return None


def scoped(qs: QuerySet, q: Q | None) -> QuerySet:
    return qs.none() if q is None else qs.filter(q)


def region_subtree_q(region: Region, prefix: str = "") -> Q:
    """Q matching `region` and every region below it (up to four levels)."""
    p = f"{prefix}__" if prefix else ""
    return (
        Q(**{f"{p}id": region.id})
        | Q(**{f"{p}parent_id": region.id})
        | Q(**{f"{p}parent__parent_id": region.id})
        | Q(**{f"{p}parent__parent__parent_id": region.id})
    )


# --- the gate -------------------------------------------------------------------------


def regions_for_user(user) -> QuerySet[Region]:
    scope = scope_for_user(user)
    qs = Region.objects.all()
    if scope.role in (Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP):
        return qs.filter(region_subtree_q(scope.region))
    return qs.none()


def villages_for_user(user) -> QuerySet[Village]:
    scope = scope_for_user(user)
    qs = Village.objects.all()
    county_q = county_scope_q(user, "county")
    if county_q is not None:
        return qs.filter(county_q)
    if scope.role == Role.TOWNSHIP:
        return qs.filter(township_id=scope.region.id)
    if scope.role == Role.UNIT:
        return qs.filter(id__in=Assignment.objects.filter(cadre__unit_id=scope.unit_id).values("village_id"))
    if scope.role == Role.CADRE and scope.cadre_id:
        return qs.filter(id__in=Assignment.objects.filter(cadre_id=scope.cadre_id).values("village_id"))
    return qs.none()


def cadres_for_user(user) -> QuerySet[Cadre]:
    scope = scope_for_user(user)
    qs = Cadre.objects.all()
    county_q = county_scope_q(user, "county")
    if county_q is not None:
        return qs.filter(county_q)
    if scope.role == Role.TOWNSHIP:
        return qs.filter(
            id__in=Assignment.objects.filter(village__township_id=scope.region.id).values("cadre_id")
        )
    if scope.role == Role.UNIT:
        return qs.filter(unit_id=scope.unit_id)
    if scope.role == Role.CADRE and scope.cadre_id:
        return qs.filter(id=scope.cadre_id)
    return qs.none()


def assignments_for_user(user) -> QuerySet[Assignment]:
    return scoped(Assignment.objects.all(), row_scope_q(
        user, county="village__county", township="village__township_id", unit="cadre__unit_id", cadre="cadre_id",
    ))


def units_for_user(user) -> QuerySet[DispatchingUnit]:
    """Units a user may read: those homed in their region, or with cadres in their scope."""
    scope = scope_for_user(user)
    qs = DispatchingUnit.objects.all()
    if scope.role in (Role.PROVINCE, Role.CITY, Role.COUNTY, Role.TOWNSHIP):
        homed = Q(home_region__in=Region.objects.filter(region_subtree_q(scope.region)))
        if scope.role == Role.PROVINCE:
            return qs.filter(homed)
        with_cadres = Q(id__in=cadres_for_user(user).values("unit_id"))
        return qs.filter(homed | with_cadres)
    if scope.role == Role.UNIT:
        return qs.filter(id=scope.unit_id)
    if scope.role == Role.CADRE and scope.cadre_id:
        return qs.filter(cadres__id=scope.cadre_id)
    return qs.none()


def units_selectable_for_user(user) -> QuerySet[DispatchingUnit]:
    """Units county staff may pick for a cadre: their own, plus any central, provincial or
    city-level unit above them (those send cadres to many counties)."""
    scope = scope_for_user(user)
    if scope.role != Role.COUNTY:
        return DispatchingUnit.objects.none()
    city = scope.region.parent
    return DispatchingUnit.objects.filter(
        Q(id__in=units_for_user(user).values("id"))
        | Q(level__in=[DispatchingUnit.Level.CENTRAL, DispatchingUnit.Level.PROVINCE])
        | Q(level=DispatchingUnit.Level.CITY, home_region__in=[city.id, city.parent_id])
    )


# --- which links a page may show --------------------------------------------------------
#
# A page names cadres, villages and units it reads through other paths than their own gate (a
# village's past team, a cadre's earlier postings, a colleague in the same village): a name is a
# link only where its page would open for the user, and plain text otherwise, since a link that
# answers 404 only says "not yours" after a click. One query for all the ids of a page, never
# one per row.


def _openable(qs: QuerySet, ids) -> set[int]:
    wanted = {i for i in ids if i is not None}
    return set(qs.filter(id__in=wanted).values_list("id", flat=True)) if wanted else set()


def cadres_openable(user, ids) -> set[int]:
    """The ids among `ids` of cadres whose page (and calendar) `user` may open."""
    return _openable(cadres_for_user(user), ids)


def villages_openable(user, ids) -> set[int]:
    """The ids among `ids` of villages whose page `user` may open."""
    return _openable(villages_for_user(user), ids)


def units_openable(user, ids) -> set[int]:
    """The ids among `ids` of dispatching units whose page `user` may open."""
    return _openable(units_for_user(user), ids)


# --- what a user may change -------------------------------------------------------------


def managed_county(user) -> Region | None:
    """The county a user manages, or None: only county staff change roster data."""
    scope = scope_for_user(user)
    return scope.region if scope.role == Role.COUNTY else None


def can_manage_county(user, county_id: int | None) -> bool:
    county = managed_county(user)
    return county is not None and county_id is not None and county.id == county_id


def can_manage_unit(user, unit: DispatchingUnit) -> bool:
    county = managed_county(user)
    if county is None:
        return False
    home = unit.home_region
    return home.id == county.id or home.parent_id == county.id


def can_see_full_id_number(user, cadre: Cadre) -> bool:
    """Only staff of the county where the cadre serves see the whole ID number."""
    return can_manage_county(user, cadre.county_id)


def cadres_known_by_id_number_for_user(user) -> QuerySet[Cadre]:
    """The cadres a typed or imported ID number may be matched against: those whose whole
    number `user` may see (can_see_full_id_number). Matching any wider would answer "is this
    number a cadre's?" row by row to someone who is shown only the masked number, and with the
    birth year and check character next to the mask, one file of candidates gives it back."""
    county = managed_county(user)
    if county is None:
        return Cadre.objects.none()
    return cadres_for_user(user).filter(county_id=county.id)


@dataclass(frozen=True)
class CadreIdentity:
    """A cadre's ID number and birth as one user may see them."""

    id_number: str
    birth_date: dt.date | None  # None when only the year may be shown
    birth_year: int

    @property
    def birth(self) -> dt.date | str:
        """The birth date, or only its year as text ("1991")."""
        return self.birth_date if self.birth_date is not None else str(self.birth_year)


def cadre_identity_for_user(user, cadre: Cadre) -> CadreIdentity:
    """The one rule for identity fields, on pages and in exports alike. The masked part of an ID
    number is the county code and the birth date, so whoever gets the mask gets only the birth
    year: a full birth date next to it would give the number back."""
    if can_see_full_id_number(user, cadre):
        return CadreIdentity(id_number=cadre.id_number, birth_date=cadre.birth_date, birth_year=cadre.birth_date.year)
    return CadreIdentity(id_number=cadre.masked_id_number, birth_date=None, birth_year=cadre.birth_date.year)


# --- reads used by pages -----------------------------------------------------------------


def village_team(*, village: Village) -> dict:
    """Current team, vacancies and past assignments of one village."""
    rows = list(village.assignments.select_related("cadre", "cadre__unit").order_by("role", "start_date"))
    current = [a for a in rows if a.end_date is None]
    past = sorted((a for a in rows if a.end_date is not None), key=lambda a: a.end_date, reverse=True)
    has_secretary = any(a.role == Assignment.Role.FIRST_SECRETARY for a in current)
    min_size = settings.ZHUCUN["MIN_TEAM_SIZE"]
    return {
        "current": current,
        "past": past,
        "no_first_secretary": not has_secretary,
        "understaffed": len(current) < min_size,
        "min_team_size": min_size,
    }


def villages_with_team_counts(qs: QuerySet[Village]) -> QuerySet[Village]:
    """Annotate team size and whether a first secretary is in post: one query per page."""
    active = Q(assignments__end_date__isnull=True)
    return qs.annotate(
        team_size=Count("assignments", filter=active),
        has_first_secretary=Exists(
            Assignment.objects.filter(
                village=OuterRef("pk"), end_date__isnull=True, role=Assignment.Role.FIRST_SECRETARY
            )
        ),
    )


def villages_listed_for_user(user) -> QuerySet[Village]:
    """The village list: the user's villages with their team counts, in code order. A liaison
    also reads villages their cadres served in before; `ours_now` says where one serves now."""
    qs = villages_with_team_counts(villages_for_user(user).select_related("township")).order_by("code")
    if scope_for_user(user).role == Role.UNIT:
        qs = qs.annotate(ours_now=Exists(Assignment.objects.filter(
            village=OuterRef("pk"), end_date__isnull=True, cadre__in=cadres_for_user(user))))
    return qs


def cadres_with_active_assignment(qs: QuerySet[Cadre]) -> QuerySet[Cadre]:
    """Attach the active assignment (and its village) without a query per row."""
    return qs.select_related("unit", "county").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(end_date__isnull=True).select_related("village", "village__township"),
            to_attr="active_assignments",
        )
    )


def findings_for_user(user) -> QuerySet[Finding]:
    return scoped(Finding.objects.all(), row_scope_q(
        user, county="county", township="village__township_id", unit="cadre__unit_id", cadre="cadre_id",
    ))


# --- summaries for the overview and region pages ---------------------------------------------


def scope_summary(*, user) -> dict[str, int]:
    """Villages, active cadres and team gaps in the user's scope: four aggregate queries,
    whatever the size of the scope. For a unit liaison or a cadre, the villages where one of
    their cadres is in post."""
    villages = villages_for_user(user)
    active = Assignment.objects.filter(end_date__isnull=True)
    if scope_for_user(user).role in (Role.UNIT, Role.CADRE):
        # These roles may read every village their cadres ever served in (a past assignment's
        # village page stays reachable), but their villages now are where one is in post.
        villages = villages.filter(Exists(active.filter(village=OuterRef("pk"), cadre__in=cadres_for_user(user))))
    min_size = settings.ZHUCUN["MIN_TEAM_SIZE"]
    return {
        "villages": villages.count(),
        "no_secretary": villages.filter(
            ~Exists(active.filter(village=OuterRef("pk"), role=Assignment.Role.FIRST_SECRETARY))
        ).count(),
        "understaffed": villages.annotate(
            team=Count("assignments", filter=Q(assignments__end_date__isnull=True))
        ).filter(team__lt=min_size).count(),
        "active_cadres": cadres_for_user(user).filter(Exists(active.filter(cadre=OuterRef("pk")))).count(),
    }


def _count_subquery(qs, field: str):
    """Correlated COUNT(*) for one region: avoids the row explosion of two joined Counts."""
    counted = qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def regions_with_counts(*, user) -> tuple[str, QuerySet[Region]]:
    """Reviewers get the counties of their region grouped by city, everyone else the
    townships in scope; each row with its village count and active cadre count."""
    scope = scope_for_user(user)
    active = Assignment.objects.filter(end_date__isnull=True)
    regions = regions_for_user(user).select_related("parent")
    if scope.role in (Role.PROVINCE, Role.CITY):
        return "county", regions.filter(level=Region.Level.COUNTY).annotate(
            village_count=_count_subquery(Village.objects.all(), "county"),
            cadre_count=_count_subquery(active, "village__county"),
        ).order_by("parent__code", "code")
    return "township", regions.filter(level=Region.Level.TOWNSHIP).annotate(
        village_count=_count_subquery(Village.objects.all(), "township"),
        cadre_count=_count_subquery(active, "village__township"),
    ).order_by("code")
