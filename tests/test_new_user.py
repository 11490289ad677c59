"""What a new user hit (issue 20): each rough edge, through the CLI, as the user meets it."""

from __future__ import annotations

from pathlib import Path


def test_sizes_under_a_kilobyte_are_shown_in_bytes(cli, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.wav"
    tiny.write_bytes(b"RIFF" + b"\0" * 21)  # 25 bytes: the table said "0.0KB"
    r = cli("validate", tiny)
    assert r.code == 1
    row = r.out.splitlines()[1].split("\t")
    assert row[0] == str(tiny) and row[3] == "25B"
    from bland_clone.units import fmt_size

    assert [fmt_size(n) for n in (0, 1023, 1024, 1536, 1048575, int(26.6 * 1024 * 1024))] == [
        "0B",
        "1023B",
        "1.0KB",
        "1.5KB",
        "1.0MB",
        "26.6MB",
    ]
