"""A moto_server of the check's own on a free loopback port, run from a scratch directory."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3

from .loopback import free_port

# moto accepts any credentials; these keep boto3 and the functions off this machine's own.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


class Moto:
    def __init__(self, moto_server: str, workdir: Path, region: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "moto_server.log"
        moto_dir = workdir / "moto"
        moto_dir.mkdir()
        self.process = subprocess.Popen(
            [moto_server, "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=moto_dir,  # it writes its moto_recording file here
            stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        end = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"moto_server did not answer within 60 s:\n{self.log_tail()}")
            time.sleep(0.2)
        self.session = boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=region,
        )

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.url)

    def data(self) -> dict:
        with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=10) as answer:
            return json.load(answer)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
