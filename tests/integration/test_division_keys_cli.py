"""The ops command for division keys."""
from __future__ import annotations

import re

from scripts.division_key import main


def test_create_list_revoke(aws, capsys, client):
    assert main(["create", "--division", "education", "--label", "school system"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"dk[0-9a-f]{16}\.[A-Za-z0-9_-]{43}", key)
    assert client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert key.split(".")[0] in listed and "active" in listed and key.split(".")[1] not in listed
    assert main(["revoke", "--key-id", key.split(".")[0]]) == 0
    assert client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert main(["revoke", "--key-id", "dk0000000000000000"]) == 1
