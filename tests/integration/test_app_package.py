"""The deployable zip (`cmake --build build --target app-package`) on a bare
Debian 12, as on the Azure Functions Linux image: a debootstrap minbase root
filesystem with no -dev package and none of gridboard's libraries. The zip
is unpacked where zip deploy puts it (/home/site/wwwroot) and the handler is
run there with chroot, which shares this machine's loopback with FerretDB.

Needs root (debootstrap, chroot, mount) and GB_APP_ZIP, the zip to check;
scripts/test sets it after building app-package. The root filesystem is
built once into .cache/rootfs/ (about half a minute) and reused."""

import fcntl
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import zipfile

import pytest

from support import (HANDLER, ROOT, Handler, envelope_for, event_grid_event,
                     game, http_request_envelope, oracle, utcnow)

APP_ZIP = os.environ.get("GB_APP_ZIP")
pytestmark = pytest.mark.skipif(
    not APP_ZIP, reason="GB_APP_ZIP unset (scripts/test sets it)")

CACHE = os.path.join(ROOT, ".cache", "rootfs")
ROOTFS = os.path.join(CACHE, "bookworm-minbase")
WWWROOT = "/home/site/wwwroot"  # where zip deploy unpacks the app
# The libraries gridboard links; the bare system must have none of them.
PROJECT_LIBS = ("libcivetweb", "libcjson", "libmongoc", "libbson", "libcurl",
                "libssl")
# glibc's own objects, which the image always has and the zip must not carry.
GLIBC = re.compile(r"^(linux-vdso|ld-linux.*|libc|libm|libmvec|libpthread|"
                   r"libdl|librt|libresolv|libutil|libanl|libnsl)\.so")


def needed_libraries(zip_path, member):
    """The DT_NEEDED entries of an ELF file inside the zip."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zip_path) as z:
            path = z.extract(member, tmp)
        out = subprocess.run(["readelf", "-d", "-W", path], check=True,
                             capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)


def sbin(name):
    """Root's tools, also when /usr/sbin is not on PATH."""
    path = shutil.which(name) or os.path.join("/usr/sbin", name)
    assert os.access(path, os.X_OK), f"{name} missing: run scripts/bootstrap"
    return path


def debian_mirror():
    """The Debian archive this machine's apt uses (the one known to be
    reachable), from sources.list or deb822 .sources files."""
    if os.environ.get("GB_DEBIAN_MIRROR"):
        return os.environ["GB_DEBIAN_MIRROR"]
    uris = []
    for path in ["/etc/apt/sources.list",
                 *sorted(glob.glob("/etc/apt/sources.list.d/*"))]:
        try:
            text = open(path).read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                if re.search(r"^Suites:.*\bbookworm\b", stanza, re.M):
                    uris += re.findall(r"^URIs:\s*(.+)$", stanza,
                                       re.M)[0].split()
        else:
            uris += re.findall(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s",
                               text, re.M)
    archives = [u for u in uris if u.rstrip("/").endswith("/debian")]
    return archives[0] if archives else "http://deb.debian.org/debian"


def mounts_under(path):
    path = os.path.realpath(path)
    with open("/proc/mounts") as f:
        points = [line.split()[1] for line in f]
    return sorted((p for p in points if p == path or p.startswith(path + "/")),
                  reverse=True)


def remove_tree(path):
    """rm -rf, after unmounting whatever an interrupted run left mounted
    inside (deleting through a mount would reach outside the tree)."""
    for point in mounts_under(path):
        subprocess.run(["umount", point], check=True)
    shutil.rmtree(path, ignore_errors=True)
    assert not os.path.exists(path), f"could not remove {path}"


def build_rootfs():
    """debootstrap into a .partial folder, renamed only once complete, so
    an interrupted build is never mistaken for a finished one."""
    partial = ROOTFS + ".partial"
    remove_tree(partial)
    mirror = debian_mirror()
    started = time.monotonic()
    log_path = os.path.join(CACHE, "debootstrap.log")
    with open(log_path, "w") as log:
        code = subprocess.run(
            [sbin("debootstrap"), "--variant=minbase", "bookworm", partial,
             mirror], stdout=log, stderr=subprocess.STDOUT).returncode
        log.write(f"debootstrap {mirror}: exit {code} after "
                  f"{time.monotonic() - started:.1f} s\n")
    with open(log_path) as log:
        assert code == 0, log.read()[-3000:]
    assert not mounts_under(partial), "debootstrap left mounts behind"
    os.rename(partial, ROOTFS)


def chroot(*args, **kwargs):
    return subprocess.run([sbin("chroot"), ROOTFS, *args], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin"}, **kwargs)


@pytest.fixture(scope="module")
def rootfs():
    """The bare root filesystem with the zip unpacked in it and /proc
    mounted (the loader reads /proc/self/exe to expand $ORIGIN). A lock
    keeps two test runs in the same tree from sharing it at once."""
    assert os.geteuid() == 0, "chroot and mount need root"
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for point in mounts_under(ROOTFS):  # left by an interrupted run
            subprocess.run(["umount", point], check=True)
        if not os.path.isdir(ROOTFS):
            build_rootfs()
        app = ROOTFS + WWWROOT
        remove_tree(app)
        os.makedirs(app)
        # unzip restores each entry's Unix mode, as zip deploy does.
        subprocess.run(["unzip", "-q", APP_ZIP, "-d", app], check=True)
        proc = os.path.join(ROOTFS, "proc")
        subprocess.run(["mount", "-t", "proc", "proc", proc], check=True)
        try:
            yield ROOTFS
        finally:
            subprocess.run(["umount", proc], check=True)


class ChrootHandler(Handler):
    """The packaged handler run inside the root filesystem from its app
    folder, with only its settings in the environment."""

    def __init__(self, settings):
        super().__init__(settings)
        self.env = {"PATH": "/usr/bin:/bin", **settings,
                    "FUNCTIONS_CUSTOMHANDLER_PORT": str(self.port)}

    def start(self, wait=True):
        # chroot and sh exec, so SIGTERM reaches the handler itself.
        self.proc = subprocess.Popen(
            [sbin("chroot"), ROOTFS, "/bin/sh", "-c",
             f"cd {WWWROOT} && exec ./gridboard-handler"],
            env=self.env, stdout=self.out, stderr=self.err)
        if wait:
            self.ready = self.wait_ready()
        return self


def test_the_zip_is_laid_out_for_zip_deploy():
    with zipfile.ZipFile(APP_ZIP) as z:
        entries = {i.filename: i for i in z.infolist() if not i.is_dir()}
        host_json = json.loads(z.read("host.json"))
    functions = sorted(os.listdir(os.path.join(ROOT, "function-app")))
    libs = sorted(n for n in entries if n.startswith("lib/"))
    assert sorted(entries) == sorted(["host.json", "gridboard-handler",
                                      *[f"{f}/function.json"
                                        for f in functions], *libs])
    with open(os.path.join(ROOT, "host.json")) as f:
        assert host_json == json.load(f)
    assert host_json["customHandler"]["description"][
        "defaultExecutablePath"] == "gridboard-handler"
    handler = entries["gridboard-handler"]
    mode = handler.external_attr >> 16
    assert handler.create_system == 3 and stat.S_ISREG(mode)
    assert mode & 0o777 == 0o755, oct(mode)
    assert all(re.fullmatch(r"lib/lib[\w+.-]+\.so\.\d+", n) for n in libs)
    # Each of gridboard's libraries is bundled in lib/ or linked into the
    # handler (GB_STATIC_DEPS), never expected from the image.
    needed = needed_libraries(APP_ZIP, "gridboard-handler")
    assert "libc.so.6" in needed
    missing = [p for p in PROJECT_LIBS
               if any(n.startswith(p) for n in needed)
               and not any(n.startswith(f"lib/{p}") for n in libs)]
    assert not missing
    assert not [n for n in libs if GLIBC.match(n[4:])]


def test_the_root_filesystem_is_bare(rootfs):
    packages = chroot("dpkg-query", "-W", "-f", "${Package}\n", check=True)
    names = packages.stdout.split()
    assert "libc6" in names
    assert not [n for n in names if n.endswith("-dev")]
    found = [os.path.join(d, f)
             for top in ("usr", "opt", "etc") for d, _, files in
             os.walk(os.path.join(rootfs, top)) for f in files
             if f.startswith(PROJECT_LIBS)]
    assert not found
    # So the build's own handler, linked against this machine's libraries,
    # cannot start there.
    shutil.copy(HANDLER, os.path.join(rootfs, "tmp", "unpackaged-handler"))
    try:
        run = chroot("/tmp/unpackaged-handler")
    finally:
        os.remove(os.path.join(rootfs, "tmp", "unpackaged-handler"))
    assert run.returncode == 127
    assert "error while loading shared libraries" in run.stderr


def test_every_library_resolves_from_the_package(rootfs):
    ldd = chroot("ldd", f"{WWWROOT}/gridboard-handler", check=True).stdout
    assert "not found" not in ldd, ldd
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+) \(0x", ldd, re.M))
    outside = {name: path for name, path in resolved.items()
               if not path.startswith(f"{WWWROOT}/./lib/")
               and not path.startswith(f"{WWWROOT}/lib/")
               and not GLIBC.match(name)}
    assert not outside, f"resolved outside the package: {outside}"
    loaded = {name for name in resolved if not GLIBC.match(name)}
    assert loaded == set(os.listdir(rootfs + WWWROOT + "/lib"))


def test_the_packaged_handler_serves_invocations(rootfs, ferretdb,
                                                 database_name, mongo):
    handler = ChrootHandler({
        "COSMOS_CONNECTION_STRING": ferretdb.handler_uri(),
        "COSMOS_DATABASE": database_name}).start()
    try:
        assert handler.ready == 200
        games = [game(winner="alice@example.com"),
                 game(winner="bob@example.com", rock=0, paper=4)]
        for g in games:
            status, reply = handler.invoke("GameCompleted",
                                           envelope_for(event_grid_event(g)))
            assert status == 200, reply
            assert " outcome=counted " in reply["Logs"][0]
        envelope = http_request_envelope(
            "", function="GetStats", route="api/Stats/GetStats/Daily",
            method="GET")
        envelope["Data"]["req"]["Params"] = {"period": "Daily"}
        status, reply = handler.invoke("GetStats", envelope)
        assert status == 200, reply
        res = reply["Outputs"]["res"]
        assert res["statusCode"] == 200
        body = json.loads(res["body"])
        expected = oracle(games, utcnow())["Daily"]
        assert body["games"] == expected["games"] == 2
        assert [m["count"] for m in body["moves"]] == expected["moves"]
        assert [(w["winnerEmail"], w["wins"])
                for w in body["winners"]] == expected["winners"]
        assert mongo.games.count_documents({}) == 2
    finally:
        code = handler.stop()
    assert code == 0, handler.stderr()
