"""scripts/deploy and infra/*.bicep, checked without Azure.

The script runs for real against a stand-in `az` that records each call
and answers as the CLI would (and, where the CLI would print secrets,
prints one), so what the dry run prints, what a real run calls, the second
run's skipped publish and the silence about secrets are all observed, not
assumed. The templates are parsed with pycep-parser (no Bicep compiler
installs here) and cross-checked against the handler's sources: every
setting gridboard reads is wired, the secrets go through Key Vault, the
subscription reaches the Event Grid function with the event type the
handler handles, and the script passes exactly the templates' parameters.
"""

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest

from support import SEEN, secret

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "scripts" / "deploy"
INFRA = REPO / "infra"
MAIN, SUBSCRIPTION = INFRA / "main.bicep", INFRA / "subscription.bicep"
APPSETTINGS = INFRA / "modules" / "appsettings.bicep"

PREFIX, GROUP, LOCATION = "gbtest1", "gb-test-rg", "northeurope"
ARGS = ["--prefix", PREFIX, "--resource-group", GROUP,
        "--location", LOCATION, "--schema", "cloudevents",
        "--max-delivery-attempts", "12", "--event-ttl-minutes", "90"]
FAKE_HOST = "gbtest1-func-a1b2.northeurope-01.azurewebsites.net"
FAKE_ENDPOINT = "https://gbtest1-topic.northeurope-1.eventgrid.azure.net/api/events"
# What the stand-in az prints wherever the real one would print settings
# or keys; it must never reach the script's output.
LEAKY = secret("AccountKey=gbDeploySecret" + os.urandom(8).hex())

# The settings the handler reads that the app must not set: the host sets
# the port, and EVENT_GRID_CA_FILE is for a local HTTPS topic only.
NOT_APP_SETTINGS = {"FUNCTIONS_CUSTOMHANDLER_PORT", "FUNCTIONS_HTTPWORKER_PORT",
                    "EVENT_GRID_CA_FILE"}

FAKE_AZ = textwrap.dedent("""\
    #!{python}
    # A stand-in for the Azure CLI: logs each call, answers like az.
    import json, os, sys
    args = sys.argv[1:]
    with open(os.environ["FAKE_AZ_LOG"], "a") as f:
        f.write(json.dumps(args) + "\\n")
    path = os.environ["FAKE_AZ_STATE"]
    state = json.load(open(path)) if os.path.exists(path) else {{}}
    def opt(name):
        return args[args.index(name) + 1] if name in args else None
    words = []
    for a in args:
        if a.startswith("-"):
            break
        words.append(a)
    cmd, out, query = " ".join(words), opt("-o"), opt("--query") or ""
    leaky = json.dumps([{{"name": "AzureWebJobsStorage",
                          "value": os.environ["FAKE_AZ_LEAKY"]}}])
    if cmd == "deployment group show" and out == "tsv":
        print({host!r} if "functionAppHostName" in query else {endpoint!r})
    elif cmd == "functionapp config appsettings list" and out == "tsv" \\
            and "GRIDBOARD_PACKAGE_SHA256" in query:
        print(state.get("sha", ""))
    elif cmd == "functionapp function show" and not state.get("indexed"):
        # The host indexes a published package after a while.
        state["shows"] = state.get("shows", 0) + 1
        if state.get("published") and state["shows"] > 2:
            state["indexed"] = True
        json.dump(state, open(path, "w"))
        if not state.get("indexed"):
            sys.exit("ResourceNotFoundError: function GameCompleted not found")
    else:
        if cmd == "functionapp deployment source config-zip":
            state["published"] = True
        if cmd == "functionapp config appsettings set":
            state["sha"] = opt("--settings").split("=", 1)[1]
        json.dump(state, open(path, "w"))
        if out != "none":
            print(leaky)
""")


def deploy(*args, env=None, path=None):
    full_env = dict(os.environ, **(env or {}))
    if path is not None:
        full_env["PATH"] = path
    result = subprocess.run([str(DEPLOY), *args], cwd=REPO, env=full_env,
                            capture_output=True, text=True, timeout=120)
    SEEN.append(("deploy stdout", result.stdout))
    SEEN.append(("deploy stderr", result.stderr))
    return result


def commands(stdout):
    """The commands a run printed, one argv list each."""
    return [shlex.split(line[2:]) for line in stdout.splitlines()
            if line.startswith("+ ")]


def head(argv, words=4):
    out = []
    for a in argv[1:]:
        if a.startswith("-") or len(out) == words:
            break
        out.append(a)
    return " ".join(out)


def option(argv, name):
    return argv[argv.index(name) + 1]


def parameters(argv):
    """The k=v pairs after --parameters."""
    i = argv.index("--parameters") + 1
    pairs = {}
    while i < len(argv) and not argv[i].startswith("-"):
        k, v = argv[i].split("=", 1)
        pairs[k] = v
        i += 1
    return pairs


def make_package(path, content):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("host.json", content)
    return path


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path / "gridboard-app.zip", '{"version": "2.0"}')


class FakeAz:
    def __init__(self, root):
        self.bin = root / "fake-bin"
        self.bin.mkdir()
        self.log = root / "az-calls.jsonl"
        self.state = root / "az-state.json"
        az = self.bin / "az"
        az.write_text(FAKE_AZ.format(python=sys.executable, host=FAKE_HOST,
                                     endpoint=FAKE_ENDPOINT))
        az.chmod(0o755)
        self.env = {"FAKE_AZ_LOG": str(self.log),
                    "FAKE_AZ_STATE": str(self.state),
                    "FAKE_AZ_LEAKY": LEAKY,
                    "GRIDBOARD_DEPLOY_POLL_SECONDS": "0"}
        self.path = f"{self.bin}:{os.environ['PATH']}"
        self.seen = 0

    def new_calls(self):
        """The calls made since the last look, each with az in front."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        calls = [["az", *json.loads(line)] for line in lines[self.seen:]]
        self.seen = len(lines)
        return calls


@pytest.fixture
def fake_az(tmp_path):
    return FakeAz(tmp_path)


def without_repeats(calls):
    """The calls with the polling of `function show` folded into one."""
    out = []
    for c in calls:
        if not (out and c == out[-1] and head(c) == "functionapp function show"):
            out.append(c)
    return out


# --- the dry run -------------------------------------------------------

def test_dry_run_prints_every_step_in_order_with_the_given_names(package):
    r = deploy("--dry-run", "--package", str(package), *ARGS)
    assert r.returncode == 0, r.stderr
    cmds = commands(r.stdout)
    assert [head(c) for c in cmds] == [
        "account show",
        *["provider register"] * 8,
        "group create",
        "deployment group create",
        "deployment group show",
        "deployment group show",
        "functionapp config appsettings list",
        "functionapp deployment source config-zip",
        "functionapp config appsettings set",
        "functionapp function show",
        "deployment group create",
    ]
    namespaces = [option(c, "--namespace") for c in cmds[1:9]]
    assert namespaces[0] == "Microsoft.EventGrid"
    assert {"Microsoft.Web", "Microsoft.Storage", "Microsoft.DocumentDB",
            "Microsoft.KeyVault"} <= set(namespaces)
    assert all("--wait" in c for c in cmds[1:9])
    group = cmds[9]
    assert (option(group, "--name"), option(group, "--location")) == (GROUP, LOCATION)
    infra, sub = cmds[10], cmds[-1]
    assert option(infra, "--template-file") == "infra/main.bicep"
    assert option(sub, "--template-file") == "infra/subscription.bicep"
    assert all(option(c, "--resource-group") == GROUP for c in cmds[10:])
    assert parameters(infra) == {"namePrefix": PREFIX, "location": LOCATION,
                                 "eventGridSchema": "CloudEventSchemaV1_0",
                                 "useKeyVault": "true"}
    assert parameters(sub) == {"namePrefix": PREFIX,
                               "eventGridSchema": "CloudEventSchemaV1_0",
                               "maxDeliveryAttempts": "12",
                               "eventTimeToLiveInMinutes": "90"}
    publish = cmds[14]
    assert option(publish, "--name") == f"{PREFIX}-func"
    assert option(publish, "--src") == str(package)
    sha = hashlib.sha256(package.read_bytes()).hexdigest()
    assert option(cmds[15], "--settings") == f"GRIDBOARD_PACKAGE_SHA256={sha}"
    assert option(cmds[16], "--function-name") == "GameCompleted"
    # How to point GameAPI at gridboard, both ways, with the names given.
    assert (f"POST https://{PREFIX}-func.azurewebsites.net/api/Stats/SendResult"
            in r.stdout)
    assert (f"az functionapp function keys list --resource-group {GROUP} "
            f"--name {PREFIX}-func --function-name SendResult") in r.stdout
    assert (f"az eventgrid topic key list --resource-group {GROUP} "
            f"--name {PREFIX}-topic") in r.stdout
    assert "GetStats/{Daily|Weekly|Monthly}" in r.stdout


def test_a_second_dry_run_prints_the_same(package):
    first = deploy("--dry-run", "--package", str(package), *ARGS)
    second = deploy("--dry-run", "--package", str(package), *ARGS)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and commands(first.stdout)


def test_settings_come_from_the_environment_too(package):
    env = {"GRIDBOARD_PREFIX": "gbenv22", "GRIDBOARD_RESOURCE_GROUP": "env-rg",
           "GRIDBOARD_LOCATION": "westus2", "GRIDBOARD_SCHEMA": "eventgrid",
           "GRIDBOARD_PACKAGE": str(package)}
    r = deploy("--dry-run", "--plain-settings", env=env)
    assert r.returncode == 0, r.stderr
    infra = commands(r.stdout)[10]
    assert option(infra, "--resource-group") == "env-rg"
    assert parameters(infra) == {"namePrefix": "gbenv22", "location": "westus2",
                                 "eventGridSchema": "EventGridSchema",
                                 "useKeyVault": "false"}


def test_the_dry_run_calls_nothing_and_needs_no_az(tmp_path, package):
    trap = tmp_path / "trap"
    trap.mkdir()
    (trap / "az").write_text(f"#!/bin/sh\ntouch {tmp_path}/az-was-called\nexit 99\n")
    (trap / "az").chmod(0o755)
    r = deploy("--dry-run", "--package", str(package), *ARGS,
               path=f"{trap}:{os.environ['PATH']}")
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "az-was-called").exists()
    # And with no az anywhere on PATH.
    bare = minimal_path(tmp_path)
    r = deploy("--dry-run", "--package", str(package), *ARGS, path=bare)
    assert r.returncode == 0, r.stderr
    assert len(commands(r.stdout)) == 18


def minimal_path(tmp_path):
    """A PATH holding only the tools the script uses (no az)."""
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    for tool in ("bash", "env", "dirname", "sha256sum", "cut", "cat", "sleep"):
        (bare / tool).symlink_to(shutil.which(tool))
    return str(bare)


@pytest.mark.parametrize("args, message", [
    ([], "--prefix is required"),
    (["--prefix", "Grid_Board"], "--prefix 'Grid_Board' must be 3-11 lower-case"),
    (["--prefix", "gb"], "--prefix 'gb' must be 3-11"),
    (["--prefix", "1gridboard"], "starting with a letter"),
    (["--prefix", "gridboard123"], "must be 3-11"),
    (["--prefix", "gbx", "--schema", "xml"], "--schema 'xml' must be eventgrid or cloudevents"),
    (["--prefix", "gbx", "--location", "West Europe"], "--location 'West Europe'"),
    (["--prefix", "gbx", "--resource-group", "rg/x"], "--resource-group 'rg/x'"),
    (["--prefix", "gbx", "--resource-group", "rg."], "not ending in '.'"),
    (["--prefix", "gbx", "--max-delivery-attempts", "0"], "--max-delivery-attempts '0' must be a whole number from 1 to 30"),
    (["--prefix", "gbx", "--max-delivery-attempts", "31"], "from 1 to 30"),
    (["--prefix", "gbx", "--event-ttl-minutes", "1441"], "--event-ttl-minutes '1441' must be a whole number from 1 to 1440"),
    (["--prefix", "gbx", "--event-ttl-minutes", "ten"], "--event-ttl-minutes 'ten'"),
    (["--prefix", "gbx", "--bogus"], "unknown argument '--bogus'"),
    (["--prefix"], "--prefix needs a value"),
])
def test_invalid_arguments_are_refused_before_anything_runs(fake_az, args, message):
    for dry in ([], ["--dry-run"]):
        r = deploy(*dry, *args, env=fake_az.env, path=fake_az.path)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert message in r.stderr
        assert "--help" in r.stderr
        assert not commands(r.stdout)
    assert fake_az.new_calls() == []


def test_help_lists_every_option():
    r = deploy("--help")
    assert r.returncode == 0
    for flag in ("--prefix", "--resource-group", "--location", "--schema",
                 "--package", "--plain-settings", "--max-delivery-attempts",
                 "--event-ttl-minutes", "--dry-run"):
        assert flag in r.stdout


# --- a real run, against the stand-in az ------------------------------

def test_a_run_calls_what_the_dry_run_printed(fake_az, package):
    dry = deploy("--dry-run", "--package", str(package), *ARGS)
    r = deploy("--package", str(package), *ARGS,
               env=fake_az.env, path=fake_az.path)
    assert r.returncode == 0, r.stderr
    calls = fake_az.new_calls()
    assert without_repeats(calls) == commands(dry.stdout)
    # The subscription is created only once the function is listed: the
    # stand-in lists it on the third look after the publish.
    shows = [c for c in calls if head(c) == "functionapp function show"]
    assert len(shows) == 3
    last_show = max(i for i, c in enumerate(calls)
                    if head(c) == "functionapp function show")
    assert option(calls[last_show + 1], "--template-file") == "infra/subscription.bicep"
    assert last_show + 2 == len(calls)
    # The URLs printed are the deployment's outputs, not guesses.
    assert f"POST https://{FAKE_HOST}/api/Stats/SendResult" in r.stdout
    assert f"endpoint: {FAKE_ENDPOINT}" in r.stdout


def test_a_second_run_publishes_only_a_changed_package(fake_az, tmp_path):
    pkg = make_package(tmp_path / "app.zip", '{"version": "2.0"}')
    first = deploy("--package", str(pkg), *ARGS, env=fake_az.env, path=fake_az.path)
    assert first.returncode == 0, first.stderr
    first_calls = fake_az.new_calls()
    sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert ["az", "functionapp", "config", "appsettings", "set",
            "--resource-group", GROUP, "--name", f"{PREFIX}-func",
            "--settings", f"GRIDBOARD_PACKAGE_SHA256={sha}", "-o", "none"] in first_calls

    second = deploy("--package", str(pkg), *ARGS, env=fake_az.env, path=fake_az.path)
    assert second.returncode == 0, second.stderr
    second_calls = fake_az.new_calls()
    assert "not published again" in second.stdout
    published = {"functionapp deployment source config-zip",
                 "functionapp config appsettings set"}
    assert not [c for c in second_calls if head(c) in published]
    # Everything else is the same declarative set of calls.
    assert without_repeats(second_calls) == [
        c for c in without_repeats(first_calls) if head(c) not in published]

    make_package(pkg, '{"version": "2.0", "logging": {}}')
    third = deploy("--package", str(pkg), *ARGS, env=fake_az.env, path=fake_az.path)
    assert third.returncode == 0, third.stderr
    third_calls = fake_az.new_calls()
    new_sha = hashlib.sha256(pkg.read_bytes()).hexdigest()
    assert [head(c) for c in third_calls if head(c) in published] == [
        "functionapp deployment source config-zip",
        "functionapp config appsettings set"]
    assert f"GRIDBOARD_PACKAGE_SHA256={new_sha}" in third_calls[
        [head(c) for c in third_calls].index("functionapp config appsettings set")]


def test_no_secret_reaches_the_output(fake_az, package):
    r = deploy("--package", str(package), *ARGS, env=fake_az.env, path=fake_az.path)
    assert r.returncode == 0, r.stderr
    assert LEAKY not in r.stdout + r.stderr
    # Every call whose output is not captured for a value says -o none,
    # the only form in which az prints nothing.
    for call in fake_az.new_calls():
        assert option(call, "-o") in ("none", "tsv"), call
        if option(call, "-o") == "tsv":
            assert "--query" in call, call


def test_a_real_run_needs_az_and_the_package(tmp_path, fake_az, package):
    r = deploy("--package", str(package), *ARGS, path=minimal_path(tmp_path))
    assert r.returncode == 2
    assert "the Azure CLI (az) is needed" in r.stderr
    missing = tmp_path / "missing.zip"
    r = deploy("--package", str(missing), *ARGS, env=fake_az.env, path=fake_az.path)
    assert r.returncode == 2
    assert f"no package at '{missing}'" in r.stderr
    assert fake_az.new_calls() == []


# --- the templates -----------------------------------------------------

def handler_settings():
    """Every setting name the handler reads, from its configuration code."""
    source = (REPO / "handler" / "gb_config.c").read_text()
    names = set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', source))
    assert "COSMOS_CONNECTION_STRING" in names, "gb_config.c changed shape"
    return names


def block(text, opening):
    """The lines of a top-level `opening {` block, up to its `}`."""
    start = text.index(opening + " {\n")
    end = text.index("\n}\n", start)
    return text[start:end]


def app_setting_names():
    body = block(MAIN.read_text(), "var appSettings =")
    return set(re.findall(r"^  ([A-Za-z_][A-Za-z0-9_]*):", body, re.M))


def declared_params(path):
    """{name: has a default} for each param of a template."""
    return {m[0]: bool(m[1]) for m in
            re.findall(r"^param (\w+) \w+( = .*)?$", path.read_text(), re.M)}


def test_every_setting_the_handler_reads_is_wired():
    read = handler_settings()
    assert NOT_APP_SETTINGS <= read, "stale exceptions: the handler no longer reads them"
    wired = app_setting_names()
    assert read - NOT_APP_SETTINGS <= wired, sorted(read - NOT_APP_SETTINGS - wired)
    assert not NOT_APP_SETTINGS & wired
    assert {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION",
            "AzureWebJobsStorage"} <= wired
    # And the local settings file lists the same ones, so both stay in step.
    local = json.loads((REPO / "local.settings.sample.json").read_text())["Values"]
    assert set(local) - {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"} <= read


def test_the_schema_setting_takes_values_the_handler_accepts():
    config = (REPO / "handler" / "gb_config.c").read_text()
    accepted = re.search(r"schemas\[\] = \{([^}]*)\}", config)[1]
    accepted = set(re.findall(r'"(\w+)"', accepted))
    line = next(l for l in MAIN.read_text().splitlines()
                if l.strip().startswith("EVENT_GRID_SCHEMA:"))
    assert "eventGridSchema == 'CloudEventSchemaV1_0'" in line
    values = set(re.findall(r"'(\w+)'", line)) - {"CloudEventSchemaV1_0"}
    assert values == accepted == {"eventgrid", "cloudevents"}
    assert "FUNCTIONS_WORKER_RUNTIME: 'custom'" in MAIN.read_text()


def test_the_script_passes_exactly_the_templates_parameters(package):
    r = deploy("--dry-run", "--package", str(package), *ARGS)
    creates = [c for c in commands(r.stdout) if head(c) == "deployment group create"]
    assert len(creates) == 2
    for call in creates:
        template = REPO / option(call, "--template-file")
        declared = declared_params(template)
        passed = set(parameters(call))
        assert passed <= set(declared), passed - set(declared)
        required = {p for p, has_default in declared.items() if not has_default}
        assert required <= passed, required - passed


def test_the_names_agree_between_templates_and_script(package):
    main = bicep(MAIN)["variables"]["names"]["value"]
    sub = bicep(SUBSCRIPTION)["variables"]["names"]["value"]
    assert sub.items() <= main.items()
    assert (main["functionApp"], main["topic"]) == ("${namePrefix}-func",
                                                    "${namePrefix}-topic")
    r = deploy("--dry-run", "--package", str(package), *ARGS)
    publish = commands(r.stdout)[14]
    assert option(publish, "--name") == main["functionApp"].replace("${namePrefix}", PREFIX)
    assert (bicep(MAIN)["variables"]["deadLetterContainer"]["value"] ==
            bicep(SUBSCRIPTION)["variables"]["deadLetterContainer"]["value"])


@lru_cache(maxsize=None)
def bicep(path):
    pycep = pytest.importorskip(
        "pycep", reason="pycep-parser (tests/requirements.txt) is not installed; "
        "no Bicep compiler installs here: the Bicep CLI ships as GitHub "
        "release binaries, NuGet packages and az's own download")
    return pycep.BicepParser().parse(file_path=path)


def body(resource):
    """A parsed resource's body, inside its `if (...)` when it has one."""
    config = resource["config"]
    return config["config"] if "condition" in config else config


def test_the_templates_parse_and_declare_the_resources():
    for path in (MAIN, SUBSCRIPTION, APPSETTINGS):
        parsed = bicep(path)
        for name, res in parsed.get("resources", {}).items():
            assert "preview" not in res["api_version"], (path.name, name)
    types = {r["type"] for r in bicep(MAIN)["resources"].values()}
    assert {"Microsoft.EventGrid/topics", "Microsoft.Web/sites",
            "Microsoft.Web/serverfarms", "Microsoft.Storage/storageAccounts",
            "Microsoft.Storage/storageAccounts/blobServices/containers",
            "Microsoft.DocumentDB/databaseAccounts",
            "Microsoft.DocumentDB/databaseAccounts/mongodbDatabases",
            "Microsoft.KeyVault/vaults", "Microsoft.KeyVault/vaults/secrets",
            "Microsoft.Authorization/roleAssignments",
            "Microsoft.ManagedIdentity/userAssignedIdentities"} <= types
    res = bicep(MAIN)["resources"]
    assert res["topic"]["config"]["properties"]["inputSchema"] == "eventGridSchema"
    schema = bicep(MAIN)["parameters"]["eventGridSchema"]["decorators"]
    assert {"type": "allowed", "argument": ["EventGridSchema", "CloudEventSchemaV1_0"]} in schema
    cosmos = res["cosmos"]["config"]
    assert cosmos["kind"] == "MongoDB"
    assert "EnableServerless" in json.dumps(cosmos["properties"]["capabilities"])
    assert bicep(MAIN)["parameters"]["cosmosCapacityMode"]["default"] == "serverless"
    site = res["site"]["config"]
    assert site["kind"] == "functionapp,linux"
    assert site["properties"]["keyVaultReferenceIdentity"] is not None


def test_the_module_gets_the_parameters_it_declares():
    module = bicep(MAIN)["modules"]["settings"]
    assert module["detail"]["path"] == "modules/appsettings.bicep"
    assert (INFRA / module["detail"]["path"]).is_file()
    declared = bicep(APPSETTINGS)["parameters"]
    assert set(module["config"]["params"]) == set(declared)
    # The settings and the app's current ones hold secrets: both secure,
    # so neither shows in the deployment's history.
    for name in ("settings", "currentSettings"):
        assert {"type": "secure"} in declared[name]["decorators"], name
    # The publish step's two settings survive a redeploy of the template.
    text = APPSETTINGS.read_text()
    for key in ("WEBSITE_RUN_FROM_PACKAGE", "GRIDBOARD_PACKAGE_SHA256"):
        assert f"contains(currentSettings, '{key}')" in text
    assert "--settings GRIDBOARD_PACKAGE_SHA256=" in DEPLOY.read_text()


def test_secrets_are_key_vault_references_unless_plain_is_asked_for():
    settings = bicep(MAIN)["variables"]["appSettings"]["value"]
    secrets = {body(r)["name"] for r in bicep(MAIN)["resources"].values()
               if r["type"] == "Microsoft.KeyVault/vaults/secrets"}
    for setting, secret_name in (("COSMOS_CONNECTION_STRING", "cosmos-connection-string"),
                                 ("EVENT_GRID_TOPIC_KEY", "event-grid-topic-key")):
        cond = settings[setting]["operator"]
        assert cond["type"] == "conditional"
        assert cond["operands"]["condition"] == "useKeyVault"
        assert cond["operands"]["true_value"] == "${keyVaultRef}%s)" % secret_name
        assert secret_name in secrets
    ref = bicep(MAIN)["variables"]["keyVaultRef"]["value"]
    assert ref.startswith("@Microsoft.KeyVault(VaultName=")
    assert bicep(MAIN)["parameters"]["useKeyVault"]["default"] is True


def walk(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def test_no_output_holds_a_secret():
    secret_vars = {"storageConnection", "appSettings", "insightsSettings"}
    for path in (MAIN, SUBSCRIPTION):
        for name, out in bicep(path)["outputs"].items():
            for node in walk(out["value"]):
                if isinstance(node, dict):
                    fn = node.get("func_name") or node.get("type")
                    assert not (isinstance(fn, str) and fn.startswith("list")), (path.name, name)
                if isinstance(node, str):
                    assert node not in secret_vars, (path.name, name)


def test_the_subscription_delivers_game_completed_to_its_function():
    res = bicep(SUBSCRIPTION)["resources"]["gameCompleted"]
    assert res["type"] == "Microsoft.EventGrid/topics/eventSubscriptions"
    props = res["config"]["properties"]
    dest = props["destination"]
    assert dest["endpointType"] == "AzureFunction"
    function = dest["properties"]["resourceId"].rsplit("/functions/", 1)[1]
    binding = json.loads((REPO / "function-app" / function / "function.json").read_text())
    assert [b["type"] for b in binding["bindings"]] == ["eventGridTrigger"]
    event_type = re.search(r'#define GB_EVENT_TYPE_GAME_COMPLETED "(\w+)"',
                           (REPO / "handler" / "gb_event.h").read_text())[1]
    assert props["filter"]["includedEventTypes"] == [event_type]
    assert props["eventDeliverySchema"] == "eventGridSchema"
    assert props["retryPolicy"] == {"maxDeliveryAttempts": "maxDeliveryAttempts",
                                    "eventTimeToLiveInMinutes": "eventTimeToLiveInMinutes"}
    dead = props["deadLetterDestination"]
    assert dead["endpointType"] == "StorageBlob"
    assert dead["properties"]["blobContainerName"] == "deadLetterContainer"
    limits = bicep(SUBSCRIPTION)["parameters"]
    assert {"type": "max_value", "argument": 30} in limits["maxDeliveryAttempts"]["decorators"]
    assert {"type": "max_value", "argument": 1440} in limits["eventTimeToLiveInMinutes"]["decorators"]
