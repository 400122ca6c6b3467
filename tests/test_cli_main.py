import typer

from selfcast.cli import main as cli_main
from selfcast.errors import InsufficientCredits


def _with_command(monkeypatch, func):
    original = cli_main.build_app

    def build():
        app = original()
        app.command("probe")(func)
        return app

    monkeypatch.setattr(cli_main, "build_app", build)


def test_typer_exit_code_reaches_the_shell(monkeypatch):
    def probe() -> None:
        raise typer.Exit(7)

    _with_command(monkeypatch, probe)
    assert cli_main.main(["probe"]) == 7


def test_selfcast_error_maps_to_its_exit_code_and_message(monkeypatch, capsys):
    def probe() -> None:
        raise InsufficientCredits("balance 12 is below 100; top up first")

    _with_command(monkeypatch, probe)
    assert cli_main.main(["probe"]) == InsufficientCredits.exit_code
    assert "insufficient_credits" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error():
    assert cli_main.main(["no-such-command"]) == 2


def test_every_command_module_registers(monkeypatch):
    app = cli_main.build_app()
    names = {c.name or c.callback.__name__ for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert {"serve", "keys", "credits", "render", "clone-voice", "context", "skill", "mcp"} <= names
