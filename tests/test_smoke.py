import eventstudy


def test_version_is_set() -> None:
    assert eventstudy.__version__ == "0.1.0"
