"""The yes/no question: its keys, enter on the answer shown reversed, a click on an answer."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Static

from screens.confirm import Confirm


class AskingApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []

    def ask(self) -> None:
        self.push_screen(
            Confirm("Send 3 lines to <b>[red]Ovotrack?", yes="Send"), self.answers.append
        )


async def asked(pilot) -> Confirm:
    pilot.app.ask()
    await pilot.pause()
    assert isinstance(pilot.app.screen, Confirm)
    return pilot.app.screen


@pytest.mark.parametrize(
    ("keys", "answer"),
    [
        ("y", True),
        ("n", False),
        ("escape", False),
        ("enter", False),
        ("tab enter", True),
        ("right right enter", False),
    ],
)
async def test_keys_answer(keys, answer):
    app = AskingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await asked(pilot)
        await pilot.press(*keys.split())
        await pilot.pause()
        assert app.answers == [answer]
        assert not isinstance(app.screen, Confirm)


async def test_the_question_shows_literally_and_the_answers_name_their_keys():
    app = AskingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        confirm = await asked(pilot)
        assert str(confirm.query_one("#question", Static).render()) == (
            "Send 3 lines to <b>[red]Ovotrack?"
        )
        assert str(confirm.query_one("#answers", Static).render()) == " Send (y)    No (n) "


@pytest.mark.parametrize(("label", "answer"), [("Send (y)", True), ("No (n)", False)])
async def test_a_click_on_an_answer_gives_it(label, answer):
    app = AskingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        confirm = await asked(pilot)
        answers = confirm.query_one("#answers", Static)
        text = str(answers.render())
        # The answers are right-aligned in their line: the label's column from the right end.
        x = answers.content_region.width - len(text) + text.index(label) + 1
        await pilot.click(answers, offset=(x, 0))
        await pilot.pause()
        assert app.answers == [answer]
