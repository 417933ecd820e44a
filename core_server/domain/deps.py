"""What use cases need from the outside world, built once per process and passed explicitly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core_server.domain.actor import Role
from core_server.domain.auth_cache import AuthCache
from core_server.domain.clock import Clock, SystemClock
from core_server.domain.events import EventFeed
from core_server.domain.provider_api import FulfillmentAdapter, PaymentAdapter, RenewalRecovery
from core_server.domain.rate_limits import RateLimit
from core_server.domain.webhook_api import WebhookSender
from core_server.metrics import CoreMetrics
from core_server.store.db import Database
from core_server.store.fastpath_pg import PgFastPath
from core_server.store.raw_tx import RawDb
from core_server.store.reads import ScreenReads
from core_server.store.secret_box import SecretBox
from core_server.store.unit_of_work import UnitOfWork


@dataclass
class Deps:
    """The database, the secret box, the clock, caches and the event feed of this process.

    `fastpath` is set on PostgreSQL: the hot ledger operations run there as one statement over
    asyncpg (see store/fastpath_pg.py). `raw` opens the raw transactions of the money hot paths
    (domain/fast_unit.py) on either backend; `reads` runs the reads a bot makes on every screen,
    one statement each (store/reads/); everything else goes through SQLAlchemy. Payment providers
    are reached only through `payment_adapters` (domain/provider_api.py).
    """

    db: Database
    secrets: SecretBox
    clock: Clock = field(default_factory=SystemClock)
    auth_cache: AuthCache = field(default_factory=AuthCache)
    feed: EventFeed = field(default_factory=EventFeed)
    fastpath: PgFastPath | None = None
    # the payment and fulfillment provider adapters by name (core_server/providers, wired by the app), the HTTP
    # gateway's public base URL (webhook URLs are built on it), and whether provider base URLs may
    # be plain http (tests and local fakes; never in production)
    payment_adapters: Mapping[str, PaymentAdapter] = field(default_factory=dict)
    fulfillment_adapters: Mapping[str, FulfillmentAdapter] = field(default_factory=dict)
    public_url: str = ""
    insecure_provider_urls: bool = False
    # asks the provider of a plan it renews, about to expire, for a charge the hub missed (wired by
    # the app: domain/payments/stars_renewal_recovery.py; the renewal worker cannot import payments)
    renewal_recovery: RenewalRecovery | None = None
    # each role's rate limit (domain/rate_limits.py; a role absent is not limited, so a Deps built
    # without settings, as in tests, limits nobody) and this core's metrics (core_server/metrics.py)
    rate_limits: Mapping[Role, RateLimit] = field(default_factory=dict)
    metrics: CoreMetrics = field(default_factory=CoreMetrics)
    # outbound webhooks (domain/webhooks/): the client that POSTs events to tenant endpoints (wired
    # by the app; None: the dispatcher does not run), and whether an endpoint may be plain http to
    # a loopback host (tests and `make run` locally; never in production)
    webhook_sender: WebhookSender | None = None
    webhooks_allow_loopback_http: bool = False
    raw: RawDb = field(init=False)
    reads: ScreenReads = field(init=False)

    def __post_init__(self) -> None:
        pool = self.fastpath.pool if self.fastpath is not None else None
        if self.fastpath is not None:
            self.fastpath.observe_batches(self.metrics.charge_batch_size.observe, self.metrics.read_batch_size.observe)
        self.raw = RawDb(self.db, pool)
        self.reads = ScreenReads(self.db, self.fastpath.read if self.fastpath is not None else None)

    def uow(self) -> UnitOfWork:
        """A unit that may write."""
        return UnitOfWork(self.db)

    def read_uow(self) -> UnitOfWork:
        """A unit that only reads: on SQLite it never waits for the writer (store/unit_of_work.py)."""
        return UnitOfWork(self.db, read_only=True)
