"""A short MLP GAN run, opened in TensorBoard in a real browser: image grids per epoch, loss curves."""
import json
import urllib.parse

import pytest

EPOCHS = 3
TRAIN_IMAGES = 64  # the small_mnist fixture's train set
BATCH_SIZE = 32  # two steps per epoch
STEPS = EPOCHS * TRAIN_IMAGES // BATCH_SIZE
GRID_PIXELS = 8 * 28 + 9 * 2  # make_grid: 8 digits of 28 px a row, 2 px padding around each
LOSS_TAGS = ("loss/d_loss", "loss/g_loss")


@pytest.fixture(scope="module")
def mlp_run(servers, tmp_path_factory, small_mnist):
    """The MLP GAN trained for 3 two-step epochs on the CPU; its TensorBoard folder."""
    from gan_lab.runs import run

    logdir = tmp_path_factory.mktemp("tensorboard-run")
    result = run("mlp", logdir=logdir, epochs=EPOCHS, batch_size=BATCH_SIZE, device="cpu",
                 data_root=small_mnist, progress=False)
    assert result.history.steps == STEPS
    return logdir


@pytest.fixture(scope="module")
def tensorboard(servers, mlp_run, tmp_path_factory):
    """``tensorboard --logdir`` on a free loopback port, holding the run's data; its URL."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    server = servers.Server(
        "tensorboard",
        [str(servers.bin / "tensorboard"), "--logdir", str(mlp_run),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=mlp_run, env=servers.env(), log=tmp_path_factory.mktemp("tensorboard-log") / "tensorboard.log")
    try:
        # Answering is not enough: wait until it has read the event file (the run is "." here).
        server.wait_until(lambda: "samples" in json.loads(servers.http_get(f"{url}/data/plugin/images/tags"))
                          .get(".", {}), timeout=30, what="list the samples image tag")
        yield url
    finally:
        server.stop()


def test_images_tab_shows_the_sample_grid_of_each_epoch(browser, servers, tensorboard):
    """Does the Images tab hold one 'samples' grid per epoch, with the last one drawn in the page?"""
    query = urllib.parse.urlencode({"run": ".", "tag": "samples"})
    entries = json.loads(servers.http_get(f"{tensorboard}/data/plugin/images/images?{query}"))
    steps = [entry["step"] for entry in entries]
    assert steps == list(range(EPOCHS)), f"expected a grid per epoch, steps 0-{EPOCHS - 1}; found {steps}"

    browser.get(f"{tensorboard}/#images")
    card = browser.wait_for(lambda: [loader for loader in browser.deep_query("tf-image-loader")
                                     if loader.get_property("tag") == "samples"],
                            timeout=20, what="the image card for tag 'samples'")[0]
    loaded = "return arguments[0].complete && arguments[0].naturalWidth > 0"
    image = browser.wait_for(lambda: [img for img in browser.deep_query("img", card)
                                      if browser.js(loaded, img)],
                             timeout=20, what="the samples grid <img> to load")[0]
    size = browser.js("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image)
    assert size == [GRID_PIXELS, GRID_PIXELS], f"expected an 8x8 grid of 28 px digits, found {size} px"
    # The card's step slider spans the three epochs' grids and starts on the last one.
    slider = browser.deep_query("paper-slider", card)[0]
    assert slider.get_property("max") == EPOCHS - 1, f"slider max {slider.get_property('max')}"
    text = browser.deep_text(card)
    assert f"tag: samples step {EPOCHS - 1}" in text, text
    browser.screenshot("tensorboard-images.png")
    browser.assert_loopback_only()


def test_scalars_tab_shows_the_d_and_g_loss_curves(browser, servers, tensorboard):
    """Does the Scalars tab draw the loss/d_loss and loss/g_loss curves over every step?"""
    for tag in LOSS_TAGS:
        query = urllib.parse.urlencode({"run": ".", "tag": tag})
        points = json.loads(servers.http_get(f"{tensorboard}/data/plugin/scalars/scalars?{query}"))
        steps = [step for _wall_time, step, _value in points]
        assert steps == list(range(STEPS)), f"{tag}: expected steps 0-{STEPS - 1}, found {steps}"

    # The tag filter puts the two curves first, so the screenshot shows them.
    browser.get(f"{tensorboard}/#scalars&tagFilter=" + urllib.parse.quote("^loss/(d|g)_loss$"))

    def loss_cards():
        cards = {card.get_property("tag"): card for card in browser.deep_query("tf-scalar-card")
                 if card.get_property("tag") in LOSS_TAGS and card.is_displayed()}
        return cards if len(cards) == len(LOSS_TAGS) else None

    cards = browser.wait_for(loss_cards, timeout=20, what=f"cards for {' and '.join(LOSS_TAGS)}")
    length = "return arguments[0].getTotalLength()"
    for tag, card in cards.items():
        # A drawn curve is an SVG path.line of real length; an empty chart has none.
        browser.wait_for(lambda card=card: any(browser.js(length, path) > 50
                                               for path in browser.deep_query("path.line", card)),
                         timeout=20, what=f"the {tag} curve to be drawn")
        assert tag in browser.deep_text(card)
    browser.screenshot("tensorboard-scalars.png")
    browser.assert_loopback_only()
