"""Every key a Lua script touches is in its KEYS, named in its header, and passed by the loader.

- The loaders (``QueueScripts``, ``SaleScripts``) have one method per script file, and each
  script's header names keys of the app's key module (``QueueKeys`` / ``EventKeys``).
- No script builds a key name: no concatenation or string function on a key, and every
  ``K.<name>`` a script (or a prelude it includes) uses is one its header declares.
- Against a real Redis under MONITOR, every method of both loaders runs through its main
  paths: every key any command inside a script touches (``COMMAND GETKEYS``) is among the keys
  of its EVALSHA, and each key passed is the one the header names at that place.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Callable

import orjson
import redis as sync_redis
from redis.asyncio import Redis

from sale_backend.storage.keys import EventKeys
from sale_backend.storage.scripts import SaleScripts
from service_kit.lua import LuaScript, lua_source, script_header
from tests.support.paths import REPOSITORY_ROOT
from waitroom.storage.keys import QueueKeys
from waitroom.storage.script_replies import JoinLimits, JoinWindow
from waitroom.storage.scripts import QueueScripts

ROOT = REPOSITORY_ROOT
SCRIPT_DIRS = {
    "waitroom.storage": ROOT / "waitroom" / "storage" / "lua",
    "sale_backend.storage": ROOT / "sale_backend" / "storage" / "lua",
}
PRELUDES = {"engine", "abandonment", "advance", "stock_state", "prelude"}
KEY_MODULES: dict[str, type] = {"waitroom.storage": QueueKeys, "sale_backend.storage": EventKeys}
KEY_NAME_BUILDING = [
    re.compile(pattern)
    for pattern in (
        r"KEYS\[[^\]]*\]\s*\.\.",
        r"\.\.\s*KEYS\[",
        r"\bK\.\w+\s*\.\.",
        r"\.\.\s*K\.\w+",
        r"string\.\w+\(\s*(KEYS|K\.)",
        r"redis\.p?call\(\s*'\w+'\s*,\s*'",  # a literal key name
    )
]


def loader_scripts(loader: object) -> dict[str, LuaScript]:
    found: dict[str, LuaScript] = {}
    for value in vars(loader).values():
        script = getattr(value, "run", value)
        if isinstance(script, LuaScript):
            found[script.name] = script
    return found


def loaders(redis: Redis) -> dict[str, dict[str, LuaScript]]:
    return {
        "waitroom.storage": loader_scripts(QueueScripts(redis, 10)),
        "sale_backend.storage": loader_scripts(SaleScripts(redis)),
    }


def bare(name: str) -> str:
    return name.removesuffix("?").removesuffix("...")


async def test_every_script_has_a_loader_method_and_a_header_naming_its_keys(
    redis: Redis,
) -> None:
    for package, scripts in loaders(redis).items():
        files = {path.stem for path in SCRIPT_DIRS[package].glob("*.lua")} - PRELUDES
        assert set(scripts) == files, package
        key_module = KEY_MODULES[package]
        for name, script in scripts.items():
            header = script_header(lua_source(package, name))
            assert header.keys == script.keys and header.argv == script.argv, name
            assert header.keys or name == "stock_snapshot", name
            for key in header.keys:
                known = hasattr(key_module, bare(key))
                assert known, f"{name}: {key} is no {key_module.__name__} key"


async def test_no_script_builds_a_key_name_and_every_named_key_is_declared(redis: Redis) -> None:
    for package, scripts in loaders(redis).items():
        for name, script in scripts.items():
            code = "\n".join(
                line.split("--", 1)[0] for line in script.source.splitlines()
            )
            for pattern in KEY_NAME_BUILDING:
                assert not pattern.search(code), f"{name}: {pattern.pattern}"
            declared = {bare(key) for key in script.keys if not key.endswith("...")}
            used = set(re.findall(r"\bK\.(\w+)", reachable_code(code)))
            assert used <= declared, f"{package} {name} uses undeclared keys {used - declared}"


def reachable_code(code: str) -> str:
    """The script's top-level code and the prelude functions it calls (transitively)."""
    functions: dict[str, str] = {}
    top_level: list[str] = []
    current: list[str] | None = None
    for line in code.splitlines():
        match = re.match(r"local function (\w+)\(", line)
        if match:
            current = [line]
            functions[match.group(1)] = ""
            name = match.group(1)
        elif current is not None:
            current.append(line)
            if line.rstrip() == "end":
                functions[name] = "\n".join(current)
                current = None
        else:
            top_level.append(line)
    reached: list[str] = ["\n".join(top_level)]
    seen: set[str] = set()
    while True:
        text = "\n".join(reached)
        called = {
            function for function in functions
            if function not in seen and re.search(rf"\b{function}\(", text)
        }
        if not called:
            return text
        seen |= called
        reached += [functions[function] for function in called]


# -- MONITOR ----------------------------------------------------------------------------------
ARGUMENT = re.compile(r'"((?:[^"\\]|\\.)*)"')
STOP = "lua-keys-monitor-stop"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: {"n": "\n", "r": "\r", "t": "\t"}.get(
        match.group(1), match.group(1)), text)


class Monitor:
    """MONITOR in a thread: (client, [arguments]) of every command until the stop marker."""

    def __init__(self, url: str) -> None:
        self.client = sync_redis.Redis.from_url(url)
        self.lines: list[tuple[str, list[str]]] = []
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.client.monitor() as monitor:
            self.ready.set()
            while True:
                raw = monitor.connection.read_response()
                text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
                _, rest = text.split(" ", 1)
                client = rest[1 : rest.index("]")].split(" ", 1)[1]
                arguments = [_unescape(item) for item in ARGUMENT.findall(rest[rest.index("]"):])]
                if arguments[:2] == ["ECHO", STOP] or arguments[:2] == ["echo", STOP]:
                    return
                self.lines.append((client, arguments))

    def __enter__(self) -> Monitor:
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.echo(STOP)
        self.thread.join(10)
        self.client.close()

    def script_runs(self, lua_first: bool) -> list[tuple[list[str], list[list[str]]]]:
        """(EVALSHA arguments, commands the script ran) of every script call."""
        runs: list[tuple[list[str], list[list[str]]]] = []
        pending: list[list[str]] = []
        for client, arguments in self.lines:
            if client == "lua":
                if lua_first:
                    pending.append(arguments)
                elif runs:
                    runs[-1][1].append(arguments)
            elif arguments and arguments[0].upper() == "EVALSHA":
                runs.append((arguments, pending if lua_first else []))
                pending = []
            else:
                pending = []
        return runs


def key_template(owner: object, name: str) -> Callable[[str], bool]:
    """A test of a key against the key module's definition of ``name``."""
    attribute = getattr(owner, name)
    if not callable(attribute):
        return lambda key: key == attribute
    parameters = len(inspect.signature(attribute).parameters)
    first, second = attribute(*["a"] * parameters), attribute(*["b"] * parameters)
    prefix = _common_start(first, second)
    suffix = _common_start(first[::-1], second[::-1])[::-1]
    return lambda key: key.startswith(prefix) and key.endswith(suffix) and len(key) > len(prefix)


def _common_start(first: str, second: str) -> str:
    length = 0
    while length < min(len(first), len(second)) and first[length] == second[length]:
        length += 1
    return first[:length]


def check_runs(
    runs: list[tuple[list[str], list[list[str]]]],
    scripts: dict[str, tuple[LuaScript, object]],
    getkeys: Callable[[list[str]], list[str]],
) -> set[str]:
    """Checks every run of our scripts; returns the names of the scripts seen."""
    seen: set[str] = set()
    for evalsha, commands in runs:
        sha, numkeys = evalsha[1], int(evalsha[2])
        if sha not in scripts:
            continue
        script, owner = scripts[sha]
        seen.add(script.name)
        keys = evalsha[3 : 3 + numkeys]
        declared = list(script.keys)
        for index, key in enumerate(keys):
            name = declared[min(index, len(declared) - 1)]
            assert index < len(declared) or name.endswith("..."), (script.name, keys)
            assert key_template(owner, bare(name))(key), (script.name, name, key)
        required = [name for name in declared if not name.endswith(("?", "..."))]
        assert len(keys) >= len(required), (script.name, keys)
        for command in commands:
            touched = getkeys(command)
            assert set(touched) <= set(keys), (script.name, command, keys)
            seen.add(f"{script.name}:{command[0].lower()}")
    return seen


def _getkeys(client: sync_redis.Redis) -> Callable[[list[str]], list[str]]:
    def getkeys(command: list[str]) -> list[str]:
        try:
            found = client.command_getkeys(*command)
        except sync_redis.ResponseError:
            return []  # a command without keys (TIME...)
        return [item.decode() if isinstance(item, bytes) else str(item) for item in found]

    return getkeys


async def waitroom_scenario(scripts: QueueScripts, redis: Redis, queue_id: str) -> None:
    keys = QueueKeys(queue_id)
    await scripts.configure(
        queue_id, 1, {"state": "open", "rate_per_minute": "6000000", "opens_at": "4e9",
                      "abandon_after_seconds": "60", "active_shopper_cap": "100",
                      "shuffle_seed": "seed"},
    )
    limits = JoinLimits(
        JoinWindow(keys.join_limit("address", "203.0.113.9"), 5, 60_000),
        JoinWindow(keys.join_limit("network", "203.0.113.0/24"), 50, 60_000),
    )
    await scripts.join(queue_id, "early-fan", limits)  # the pre-queue
    await scripts.configure(queue_id, 1, {"opens_at": "0"})  # opening: the shuffle
    for index in range(8):
        await scripts.join(queue_id, f"fan-{index}", limits)  # the last ones are limited
    await scripts.join(queue_id, "fan-1", limits)  # existing
    await scripts.leave(queue_id, "fan-2", keep_profile=False)
    await scripts.leave(queue_id, "fan-3", keep_profile=True)
    await scripts.heartbeat(queue_id, [1, 2, 3])
    await redis.hset(keys.counters, "hb_since_ms", 0)  # judging from now on
    await scripts.view(queue_id)
    await scripts.away_return(queue_id, 2, 900)
    await scripts.configure(queue_id, 1, {"state": "paused"})
    await scripts.join(queue_id, "paused-fan")
    await scripts.configure(queue_id, 1, {"state": "open"})
    await scripts.pass_issue(queue_id, "pass-1", 1, "fan-0", 1_700_000_000, 900, 3600)
    await scripts.pass_issue(queue_id, "pass-x", 10_000, "fan-x", 1_700_000_000, 900, 3600)
    await scripts.session_claim(queue_id, "pass-1", "s" * 16, 1_700_000_900, 1_700_000_000, 5, 3600)
    await scripts.session_extend(queue_id, "pass-1", 1_700_001_000, 1_700_000_100, 3600, 3600)
    await scripts.session_end(queue_id, "pass-1", "purchase_completed", 1_700_000_200, 3600)
    await redis.hset(keys.code("code1"), mapping={"kind": "priority", "max_uses": 2, "uses": 0})
    await scripts.redeem(queue_id, "code1", "fan-5", 1_700_000_000)
    await scripts.survey_answer(
        queue_id, "s1", "fan-5", '{"q1":"a"}', ["responses", "q:q1:answered"],
        [("q2", "some words"), ("q3", "more words")], 10,
    )
    figures = orjson.dumps({"remaining": 0, "capacity": 5, "sold": 5, "held": 0, "version": 1})
    await scripts.stock_report(queue_id, "ev1", figures, 1, 1_700_000_000.0, 60, [(28_000_000, 5)])
    # the waiting list: sold out by stock, two fans on the list, one ticket back
    await scripts.stock_report(queue_id, "ev2", figures, 1, 1_700_000_002.0, 60, [])
    for visitor, place in (("fan-6", 6), ("fan-7", 7)):
        entry = {"email": "a@example.org", "lang": "en", "position": place,
                 "pass_id": f"offer-{visitor}", "status": "waiting"}
        await redis.hset(keys.waitlist_entries, visitor, orjson.dumps(entry))
        await redis.zadd(keys.waitlist, {visitor: place})
    back = orjson.dumps({"remaining": 1, "capacity": 5, "sold": 4, "held": 0, "version": 2})
    await scripts.stock_report(queue_id, "ev2", back, 2, 1_700_000_003.0, 60, [])
    offers = {"fan-6": "offer-fan-6", "fan-7": "offer-fan-7"}
    await scripts.waitlist_offer(queue_id, offers, 1_700_000_004.0, 1, 3600, 10)
    await scripts.waitlist_offer(queue_id, offers, 1_700_000_009.0, 1, 3600, 10)  # lapsed
    await redis.zadd(keys.your_turn, {"fan-4": 4})
    await redis.hset(keys.your_turn_mail, "fan-4", b'{"email":"b@example.org","position":4}')
    await scripts.your_turn_due(queue_id, 10)
    await scripts.stock_remove(queue_id, "ev1", 1_700_000_001.0)
    await redis.delete(keys.config, keys.counters)
    await scripts.restore(queue_id, 1, 9, 3, True, "process", "lost", {"rate_per_minute": "60"})


async def shop_scenario(scripts: SaleScripts, event_id: str) -> None:
    hold_id = f"{event_id}~h0123456789abcdef"
    key = EventKeys(event_id).idempotency("buyer", "key-1")
    await scripts.define_event(event_id, b"{}", [("standard", 10)], ["A-1-1", "A-1-2"])
    hold = {"buyer": "buyer", "items": {"standard": 2}, "seats": ["A-1-1"], "units": 2}
    await scripts.begin_checkout(
        event_id, key, "digest", 60, hold_id=hold_id, buyer="buyer", payment_id="pay-1",
        payment_json=b"{}", express_hold=(orjson.dumps(hold), 60_000, 4),
    )
    tickets = [
        {"ticket_id": "t1", "tier_id": "standard", "seat_id": "A-1-1", "price_minor": 100},
        {"ticket_id": "t2", "tier_id": "standard", "seat_id": "", "price_minor": 100},
    ]
    order = {"buyer": "buyer", "payment_id": "pay-1", "currency": "EUR", "tickets": tickets}
    await scripts.confirm(
        event_id, "pay-1", hold_id, "order-1", orjson.dumps(order), 60, b"{}",
        ["t1", "A-1-1", "AAAA", "{}", "t2", "", "BBBB", "{}"], key,
        ("tickets:order-1", b'{"kind":"tickets","order_id":"order-1"}'),
    )
    await scripts.scan(event_id, "t1", "scan-1", "", "door", "device", "check")
    await scripts.refund(event_id, "order-1", "refund-1", 1_700_000_000, ["t2"])
    await scripts.register_tickets(event_id, ["t3", "CCCC", "{}"])
    second = f"{event_id}~h1123456789abcdef"
    await scripts.hold(event_id, second, orjson.dumps({**hold, "seats": []}), 1, 4)
    second_key = EventKeys(event_id).idempotency("buyer", "key-2")
    await scripts.begin_checkout(
        event_id, second_key, "digest", 60, hold_id=second, buyer="buyer", payment_id="pay-2",
        payment_json=b"{}",
    )
    await scripts.settle_payment(event_id, "pay-2", second, "declined", True, ["forget"], key)
    await scripts.release_hold(event_id, second, "buyer")
    await scripts.release_expired(event_id, 10)
    await scripts.stock_snapshot(event_id)


async def test_every_key_a_script_touches_is_in_its_keys(
    redis: Redis, redis_url: str, unique_id: str
) -> None:
    queue_scripts = QueueScripts(redis, 10)
    sale_scripts = SaleScripts(redis)
    owners: dict[str, tuple[LuaScript, object]] = {}
    for script in loader_scripts(queue_scripts).values():
        owners[script.sha] = (script, QueueKeys(unique_id))
    for script in loader_scripts(sale_scripts).values():
        owners[script.sha] = (script, EventKeys(unique_id))
    probe = sync_redis.Redis.from_url(redis_url)
    try:
        version = str(probe.info("server")["redis_version"])
        with Monitor(redis_url) as monitor:
            await waitroom_scenario(queue_scripts, redis, unique_id)
            await shop_scenario(sale_scripts, unique_id)
        lua_first = int(version.split(".")[0]) >= 7
        seen = check_runs(monitor.script_runs(lua_first), owners, _getkeys(probe))
    finally:
        probe.close()
    every = {script.name for script, _ in owners.values()}
    assert {name for name in seen if ":" not in name} == every
    # the scripts' inner commands were seen and checked too (not only the EVALSHAs)
    assert {"join:lindex", "join:lpush", "view:hmget", "confirm:hset", "heartbeat:bitfield",
            "stock_report:hset", "redeem:hincrby"} <= seen
