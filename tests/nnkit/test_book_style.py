"""The book's palette of named roles and the legibility check of its figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnkit.book import style  # noqa: E402

FAMILIES = {
    "losses": ["mse", "bce", "hinge"],
    "optimizers": ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"],
    "initializations": ["zeros", "normal", "uniform", "lecun", "xavier", "he", "orthogonal"],
    "recurrent cells": ["rnn", "lstm", "gru"],
    "bounds": ["blumer", "anthony_biggs"],
    "activations": ["step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "swish",
                    "softplus"],
    "splits": ["train", "validation", "test"],
    "classes": ["class0", "class1", "class2", "class3"],
    "schedules": ["constant_lr", "step_decay", "exponential_decay", "inverse_time", "cosine",
                  "warmup"],
}


@pytest.mark.parametrize("family", FAMILIES)
def test_members_of_a_family_have_distinct_colours(family):
    colours = [style.color(r) for r in FAMILIES[family]]
    assert len(set(colours)) == len(colours), dict(zip(FAMILIES[family], colours))


def test_roles_and_aliases():
    assert style.color("MSE") == style.color("mse")
    assert style.color("glorot") == style.color("xavier")
    assert style.role("adam") == {"color": style.color("adam"), "label": "Adam"}
    assert style.role("adam", label="Adam, lr 0.1")["label"] == "Adam, lr 0.1"
    with pytest.raises(KeyError, match="roles are"):
        style.color("no-such-role")


@pytest.fixture
def book_style():
    with style.book_style():
        yield
    plt.close("all")


def test_a_book_figure_with_three_panels_passes(book_style):
    fig, axes = plt.subplots(1, 3, figsize=(5.6, 2.6))
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="line")
        ax.set_xlabel("x")
    axes[0].legend()
    assert style.check_figure(fig) == []


def test_four_panels_in_a_row_are_refused(book_style):
    fig, _ = plt.subplots(1, 4, figsize=(5.6, 2.6))
    assert any("4 panels in one row" in p for p in style.check_figure(fig))
    fig2, _ = plt.subplots(2, 2, figsize=(5.6, 5.0))          # the same four, stacked: fine
    assert style.check_figure(fig2) == []


def test_small_text_and_wide_figures_are_refused(book_style):
    fig, ax = plt.subplots(figsize=(5.6, 3))
    ax.set_title("tiny", fontsize=7)
    assert any("'tiny'" in p and "pt" in p for p in style.check_figure(fig))
    wide, ax = plt.subplots(figsize=(11, 3))                   # scaled down to the column
    ax.plot([0, 1])
    assert any("phone" in p for p in style.check_figure(wide))


def test_glue_figure_raises_before_gluing(book_style):
    fig, _ = plt.subplots(1, 5, figsize=(5.6, 2))
    with pytest.raises(style.FigureStyleError, match="5 panels"):
        style.glue_figure("test_fig", fig)


def test_sweep_colors_are_ordered_and_distinct():
    colours = style.sweep_colors(5)
    assert len({tuple(c) for c in colours}) == 5
    luminance = [0.299 * r + 0.587 * g + 0.114 * b for r, g, b, _ in colours]
    assert luminance == sorted(luminance)          # dark to light: the order reads off
    with pytest.raises(ValueError):
        style.sweep_colors(0)
