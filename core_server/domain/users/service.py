"""End users: registration (idempotent on the platform identity), lookup, search and profile edits."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core_server.domain.actor import Actor, AdminPermission, Role
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.events import emit
from core_server.domain.exports import batches, check_period
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import AdminPermissionMissing, AdminRequired, RoleNotAllowed, UserNotFound
from core_server.domain.referrals.program import MAX_LEVELS, load_program
from core_server.domain.referrals.service import require_referrer
from core_server.domain.referrals.tiers import award_tiers
from core_server.store.errors import ConstraintViolation
from core_server.store.ids import new_id
from core_server.store.models import UserRow
from core_server.store.raw_tx import UniqueViolation
from core_server.store.reads import UserFields
from core_server.store.repositories import referrals as referral_repo
from core_server.store.repositories import users as user_repo
from core_server.store.unit_of_work import UnitOfWork

REFERRAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
REFERRAL_CODE_LENGTH = 8
PROFILE_FIELDS = ("username", "first_name", "last_name", "language_code")
STAFF_ONLY_FIELDS = frozenset({"blocked"})
UPDATABLE = frozenset({*PROFILE_FIELDS, *STAFF_ONLY_FIELDS})
LIMITS = {"username": 64, "first_name": 128, "last_name": 128, "language_code": 16}


class Platform(enum.StrEnum):
    TELEGRAM = "telegram"
    WEB = "web"
    API = "api"
    DISCORD = "discord"
    VK = "vk"


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What the platform tells us about a user; empty strings mean "not given"."""

    username: str = ""
    first_name: str = ""
    last_name: str = ""
    language_code: str = ""
    blocked: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    id: uuid.UUID
    platform: Platform
    external_id: str
    profile: Profile
    referral_code: str
    referrer_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    bot_blocked: bool = False  # the user blocked the tenant's bot (the gateway says so)
    bot_blocked_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    user: User
    created: bool
    referrer_attributed: bool


def to_user(row: UserRow | UserFields) -> User:
    profile = Profile(
        username=row.username,
        first_name=row.first_name,
        last_name=row.last_name,
        language_code=row.language_code,
        blocked=row.blocked,
    )
    return User(
        id=row.id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        profile=profile,
        referral_code=row.referral_code,
        referrer_id=row.referrer_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        bot_blocked=row.bot_blocked,
        bot_blocked_at=row.bot_blocked_at,
    )


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def _search_text(external_id: str, profile: Profile) -> str:
    return " ".join(filter(None, (profile.username, profile.first_name, profile.last_name, external_id))).lower()


def _validate_profile(profile: Profile, fields: Sequence[str], violations: Violations) -> None:
    """Each field fits its column as given and lower-cased (search_text holds them lower-cased)."""
    for name in fields:
        if name in LIMITS:
            violations.check_text(name, getattr(profile, name), max_length=LIMITS[name], fold=str.lower)


def _normalize(profile: Profile) -> Profile:
    return replace(
        profile,
        username=profile.username.strip().removeprefix("@"),
        first_name=profile.first_name.strip(),
        last_name=profile.last_name.strip(),
        language_code=profile.language_code.strip(),
    )


def _registration(
    platform: Platform | None, external_id: str, profile: Profile, referral_code: str
) -> tuple[Platform, str, Profile, str]:
    """A RegisterUser's input, checked (every problem at once) and normalized."""
    violations = Violations()
    if platform is None:
        violations.add("platform", "is required")
    external_id = violations.check_text("external_id", external_id, max_length=64, required=True, fold=str.lower)
    referral_code = violations.check_text("referral_code", referral_code, max_length=32)
    _validate_profile(profile, PROFILE_FIELDS, violations)
    violations.raise_if_any()
    assert platform is not None
    return platform, external_id, _normalize(profile), referral_code


def _new_user(
    tenant: uuid.UUID,
    platform: Platform,
    external_id: str,
    profile: Profile,
    referrer: uuid.UUID | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """A new user's row, every column given, as both registration paths insert it (a raw insert
    applies no model defaults)."""
    return {
        "tenant_id": tenant,
        "id": new_id(),
        "platform": platform.value,
        "external_id": external_id,
        "username": profile.username,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "language_code": profile.language_code,
        "search_text": _search_text(external_id, profile),
        "referral_code": new_referral_code(),
        "referrer_id": referrer,
        "blocked": False,
        "bot_blocked": False,
        "bot_blocked_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _registered(user: User) -> dict[str, Any]:
    """The `user.registered` event's data."""
    return {
        "user_id": str(user.id),
        "platform": user.platform.value,
        "external_id": user.external_id,
        "referrer_id": str(user.referrer_id) if user.referrer_id else None,
    }


def _profile_changes(row: UserRow, profile: Profile) -> bool:
    """Whether a returning user's platform profile differs from the stored one (an empty field
    given keeps the stored value)."""
    return any((value := getattr(profile, name)) and value != getattr(row, name) for name in PROFILE_FIELDS)


class UserService:
    """Use cases of UserService."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def register(
        self, actor: Actor, platform: Platform | None, external_id: str, profile: Profile, referral_code: str
    ) -> Registration:
        platform, external_id, profile, referral_code = _registration(platform, external_id, profile, referral_code)
        for _attempt in range(3):  # a referral-code collision (1 in ~10^11) just retries with a new code
            try:
                return await self._register_once(actor.tenant, platform, external_id, profile, referral_code)
            except ConstraintViolation:
                continue
        raise RuntimeError("could not allocate a unique referral code")

    async def register_fast(
        self, unit: FastUnit, platform: Platform | None, external_id: str, profile: Profile, referral_code: str
    ) -> Registration:
        """`register` on a fast unit, for what a bot's /start and a site's sign-up mostly are: a new
        user with no referral code, or a returning one whose profile is unchanged. A referral to
        attribute (tiers may follow), a profile to refresh, a referral code taken (retried with a new
        one) and a lost race with the same identity take the ORM path, which answers them exactly."""
        platform, external_id, profile, referral_code = _registration(platform, external_id, profile, referral_code)
        if referral_code:
            raise TakeOrmPath("a referral to attribute")
        values = _new_user(unit.tenant, platform, external_id, profile, None, unit.now)
        try:
            created = await user_repo.insert_user_raw(unit.tx, values)
        except UniqueViolation:
            raise TakeOrmPath("a referral code taken") from None
        if created:
            user = to_user(UserRow(**values))
            unit.emit("user.registered", _registered(user))
            return Registration(user=user, created=True, referrer_attributed=False)
        existing = await user_repo.find_user_raw(unit.tx, unit.tenant, platform.value, external_id)
        if existing is None or _profile_changes(existing, profile):
            raise TakeOrmPath("a lost race or a profile to refresh")
        return Registration(user=to_user(existing), created=False, referrer_attributed=False)

    async def _register_once(
        self, tenant: uuid.UUID, platform: Platform, external_id: str, profile: Profile, referral_code: str
    ) -> Registration:
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            existing = await user_repo.find_user(uow, tenant, platform.value, external_id)
            if existing is None:
                referrer = await user_repo.find_by_referral_code(uow, tenant, referral_code) if referral_code else None
                values = _new_user(tenant, platform, external_id, profile, referrer.id if referrer else None, now)
                inserted = await user_repo.insert_user_if_absent(uow, values)  # a code collision: retried above
                if inserted:
                    row = await user_repo.get_user(uow, tenant, values["id"])
                    assert row is not None
                    user = to_user(row)
                    await emit(uow, self._deps.feed, tenant, "user.registered", _registered(user), now)
                    if referrer is not None:  # one more invited may lift the referrer into a tier
                        program = await load_program(uow, tenant)
                        await award_tiers(uow, self._deps.feed, tenant, program, referrer.id, now)
                    await uow.commit()
                    return Registration(user=user, created=True, referrer_attributed=referrer is not None)
                # Lost a race with a concurrent registration of the same identity: use the winner's row.
                existing = await user_repo.find_user(uow, tenant, platform.value, external_id)
                assert existing is not None
            self._refresh_profile(existing, profile, now)
            await uow.session.flush()
            user = to_user(existing)
            await uow.commit()
            return Registration(user=user, created=False, referrer_attributed=False)

    def _refresh_profile(self, row: UserRow, profile: Profile, now: dt.datetime) -> None:
        """A returning user's platform profile may have changed (a new @username): keep it current."""
        if not _profile_changes(row, profile):
            return
        for name in PROFILE_FIELDS:
            if value := getattr(profile, name):
                setattr(row, name, value)
        row.search_text = _search_text(row.external_id, to_user(row).profile)
        row.updated_at = now

    async def get(self, actor: Actor, user_id: str) -> User:
        violations = Violations()
        parsed = violations.id("user_id", user_id)
        violations.raise_if_any()
        assert parsed is not None
        row = await self._deps.reads.user_by_id(actor.tenant, parsed)
        if row is None:
            raise UserNotFound(user_id)
        return to_user(row)

    async def find(self, actor: Actor, platform: Platform | None, external_id: str) -> User:
        violations = Violations()
        if platform is None:
            violations.add("platform", "is required")
        external_id = violations.check_text("external_id", external_id, max_length=64, required=True)
        violations.raise_if_any()
        assert platform is not None
        row = await self._deps.reads.user_by_identity(actor.tenant, platform.value, external_id)
        if row is None:
            raise UserNotFound(external_id)
        return to_user(row)

    async def list_users(
        self,
        actor: Actor,
        query: str,
        platform: Platform | None,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
        *,
        bot_blocked: bool | None = None,
    ) -> tuple[list[User], str]:
        """`violations`: those found converting the request, reported with these filters' own.
        `bot_blocked`: only the users who blocked the bot (True) or only the others (False)."""
        violations = violations if violations is not None else Violations()
        search = violations.check_text("query", query, max_length=100, fold=str.lower).lower()
        filters = {"q": search, "p": platform, "b": bot_blocked}
        page = page_request(page_size, page_token, filters, violations=violations)
        violations.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            rows = await user_repo.list_users(
                uow,
                actor.tenant,
                before=before,
                limit=page.size + 1,
                search=search,
                platform=platform.value if platform else None,
                bot_blocked=bot_blocked,
            )
            users, token = id_page(page, rows, to_user)
        return users, token

    async def export(
        self,
        actor: Actor,
        start: dt.datetime | None,
        end: dt.datetime | None,
        violations: Violations | None = None,
    ) -> AsyncIterator[list[User]]:
        """The tenant's users registered in [start, end), batch by batch, oldest first
        (domain/exports.py). `violations`: those found converting the request."""
        v = violations if violations is not None else Violations()
        check_period(v, start, end)
        v.raise_if_any()
        tenant = actor.tenant

        async def read(uow: UnitOfWork, after: uuid.UUID | None, limit: int) -> Sequence[UserRow]:
            return await user_repo.export_batch(uow, tenant, start=start, end=end, after=after, limit=limit)

        async for batch in batches(self._deps, read, to_user):
            yield batch

    async def update(self, actor: Actor, user_id: str, profile: Profile, mask: Sequence[str]) -> User:
        violations = Violations()
        parsed = violations.id("user_id", user_id)
        violations.check_mask(mask, UPDATABLE)
        _validate_profile(profile, mask, violations)
        violations.raise_if_any()
        assert parsed is not None
        if STAFF_ONLY_FIELDS.intersection(mask) and actor.role == Role.PARTNER:
            # a website keeps its users' profiles current; blocking a user is the tenant's decision
            raise RoleNotAllowed("a partner key may not block or unblock users")
        if STAFF_ONLY_FIELDS.intersection(mask) and not actor.may(AdminPermission.USERS):
            # a bot blocks a user only for one of the tenant's admins holding the users permission
            # (the interceptor resolved the admin its x-on-behalf-of names, if any)
            if actor.acting_for:
                raise AdminPermissionMissing(
                    f"bot admin {actor.acting_for} lacks the users permission", metadata={"permission": "users"}
                )
            raise AdminRequired("blocking a user with a gateway key names the acting bot admin in x-on-behalf-of")
        profile = _normalize(profile)
        async with self._deps.uow() as uow:
            row = await user_repo.get_user(uow, actor.tenant, parsed)
            if row is None:
                raise UserNotFound(user_id)
            for name in mask:
                setattr(row, name, getattr(profile, name))
            row.search_text = _search_text(row.external_id, to_user(row).profile)
            row.updated_at = self._deps.clock.now()
            await uow.session.flush()
            user = to_user(row)
            await uow.commit()
        return user

    async def set_bot_blocked(self, actor: Actor, user_id: str, bot_blocked: bool) -> User:
        """Mark that the user blocked the tenant's bot, or clear the mark. Marking again keeps the
        first time: it says since when the bot could not reach the user."""
        violations = Violations()
        parsed = violations.id("user_id", user_id)
        violations.raise_if_any()
        assert parsed is not None
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await user_repo.get_user(uow, actor.tenant, parsed)
            if row is None:
                raise UserNotFound(user_id)
            if row.bot_blocked != bot_blocked:
                row.bot_blocked, row.bot_blocked_at = bot_blocked, now if bot_blocked else None
                row.updated_at = now
                await uow.session.flush()
            user = to_user(row)
            await uow.commit()
        return user

    async def list_referrals(
        self, actor: Actor, user_id: str, level: int, page_size: int, page_token: str
    ) -> tuple[list[User], str]:
        level = level or 1
        v = Violations()
        v.id("user_id", user_id)
        if not 1 <= level <= MAX_LEVELS:
            v.add("level", f"must be between 1 and {MAX_LEVELS}")
        page = page_request(page_size, page_token, {"u": user_id, "l": level}, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            referrer = await require_referrer(uow, actor.tenant, user_id)
            rows = await referral_repo.list_invited(
                uow, actor.tenant, referrer.id, level, before=before, limit=page.size + 1
            )
            users, token = id_page(page, rows, to_user)
        return users, token
