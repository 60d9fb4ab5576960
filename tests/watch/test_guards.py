"""The watch server answers only for its own host names (DNS rebinding reads nothing), drops connections that
send no request, and serves a bounded number at once: tested against a real `runner watch` process."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from runner.watch.hosts import Hosts, host_of
from runner.watch.server import IDLE_VARIABLE, MAX_CONNECTIONS
from tests.report.conftest import add_run, decay
from tests.watch.conftest import start_watch, stop, wait_for


@pytest.fixture
def sweep(store):
    add_run(store, decay(20), sweep="s")


@pytest.fixture
def watching(sweep, db_url, monkeypatch):
    """`runner watch s` serving on 127.0.0.1, its idle limit 1 s; yields (process, port)."""
    monkeypatch.setenv(IDLE_VARIABLE, "1")
    process, url = start_watch(db_url, "s", "--allow-host", "Runs.Example")
    try:
        yield process, urlsplit(url).port
    finally:
        stop(process)


def request(port: int, host: str | None, path: str = "/feed?seq=0&snap=0") -> tuple[int, bytes]:
    """One GET with this Host header (None: none at all); the status and the body."""
    lines = [f"GET {path} HTTP/1.1", *([f"Host: {host}"] if host is not None else []), "Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall("\r\n".join(lines).encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_request_for_another_host_name_is_refused(watching):
    process, port = watching
    for host in ("evil.example", f"evil.example:{port}", "localhost.evil.example", "127.0.0.1.evil.example", ""):
        status, body = request(port, host)
        assert status == 403, host
        assert b"--allow-host" in body and b"WATCH" not in body and b"statuses" not in body
    assert request(port, None)[0] == 403
    assert request(port, "evil.example", "/")[0] == 403  # the page too, not only the feed


def test_its_own_names_addresses_and_allowed_names_are_answered(watching):
    process, port = watching
    for host in (f"127.0.0.1:{port}", "localhost", f"LOCALHOST:{port}", "[::1]:8765", "10.1.2.3", f"runs.example:{port}"):
        status, body = request(port, host)
        assert status == 200, host
        assert b"statuses" in body


def test_an_idle_connection_is_closed_by_the_server(watching):
    process, port = watching
    with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
        idle.sendall(b"GET / HTTP/1.1\r\n")  # a request that never ends
        assert idle.recv(1) == b""  # closed by the server (after its 1 s limit), not by this test's 30 s timeout
    assert request(port, "localhost")[0] == 200


def thread_count(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def test_idle_connections_are_bounded_and_the_page_is_served_again_once_they_go(sweep, db_url, monkeypatch):
    monkeypatch.setenv(IDLE_VARIABLE, "600")  # they stay: only the bound protects the server
    process, url = start_watch(db_url, "s")
    port = urlsplit(url).port
    idle = []
    try:
        for _ in range(MAX_CONNECTIONS + 100):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        # Each connection past the bound is answered 503 and closed at once.
        last = idle[-1]
        assert last.recv(100).startswith(b"HTTP/1.0 503")
        wait_for(lambda: thread_count(process.pid) <= MAX_CONNECTIONS + 8, what="the threads to stay bounded")
        assert thread_count(process.pid) <= MAX_CONNECTIONS + 8
    finally:
        for conn in idle:
            conn.close()
    status = wait_for(lambda: request(port, "localhost")[0] == 200 or None, what="the page served again")
    assert status
    stop(process)


@pytest.mark.parametrize(("header", "name"), [("localhost:8765", "localhost"), ("[::1]:80", "::1"), ("Example.org.", "example.org"),
                                              ("10.0.0.1", "10.0.0.1"), ("a:b:c", "a:b:c")])
def test_the_host_part_of_a_header(header, name):
    assert host_of(header) == name


def test_a_server_on_every_interface_also_answers_for_this_machine_s_name():
    assert not Hosts.for_address("127.0.0.1").allows(socket.gethostname())
    assert Hosts.for_address("0.0.0.0").allows(socket.gethostname() + ":8765")
    assert Hosts.for_address("0.0.0.0").allows("192.168.1.5")
    assert not Hosts.for_address("0.0.0.0").allows("evil.example")
    assert Hosts.for_address("127.0.0.1", ("gpu-box",)).allows("GPU-box:8765")
