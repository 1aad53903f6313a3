"""The simulated Docker Hub's catalog and files are data: what they hold decides the images.

The image IDs below are those of the images the catalog made when its trees were Python; they
follow from every byte of every layer and config, so a data file read differently (a newline
lost, an order changed) shows here. Python and node images are left out: they hold the
machine's interpreter and npm, so their IDs differ from machine to machine.
"""

from __future__ import annotations

import pytest

from layerlab.engine.sim.registry.hub import images as hub
from layerlab.engine.sim.registry.hub.data import catalog_table, file_names, file_text
from layerlab.engine.sim.registry.hub.official import _recipe

STABLE_IDS = {
    "alpine:3.18": "92433accde20ec28c7a1713b44a3f4f015e6498babe916e519f98621d97ed29a",
    "alpine:3.19": "cdb78d9b13c6939513bc70fefde9974f11e32324c3463dc267e114f99deecbd6",
    "busybox:1.35": "946400fa77d16e36b94cf8e5fef845db0cad9ed579ed07e200c008ec1d3a744e",
    "busybox:1.36": "7678600c7097412e6e589d4d0e7d04f872064b21be23d48e758e09efd7f1b762",
    "debian:bookworm": "908edfb3732cde029a7ce73fa11f3e98aaf4e8ccac7b8067b4f3a468718116f8",
    "debian:bullseye": "28b0f141ce533ab679e28e4363b8484550521d8f4b06b8b78738642a2c125532",
    "hello-world:latest": "1dc38ab87b89f899a371f937e2ff44f4f04a7be82c3eedbd630ece0aeb8e0f96",
    "nginx:1.25": "edd056de384ad99b468458be43c206c33e02cee702442b000dd165c36ac63603",
    "nginx:alpine": "bbb95ee7420384a0ad4f6ca3b1e229bca2c97a968dd437536d43bb9d64c9f08a",
    "ubuntu:20.04": "e719aae17b9f44cab337e9da8e9ec23b6af9090809d3a1593f1a6696bb400020",
    "ubuntu:22.04": "a02cea881a6ef0cdcfb28407e03558f8f733a3b69cab83201c90349655a2470d",
}


@pytest.mark.parametrize("reference", sorted(STABLE_IDS))
def test_official_images_keep_their_ids(reference: str) -> None:
    repository, tag = reference.split(":")
    made = hub.image(f"library/{repository}", tag)
    assert made is not None
    assert made.id == "sha256:" + STABLE_IDS[reference]


def test_every_tag_names_an_image_and_every_base_exists() -> None:
    table = catalog_table()
    images = table["images"]
    for repository, tags in table["tags"].items():
        for tag, key in tags.items():
            assert key in images, f"{repository}:{tag} names {key}, not in the catalog"
    for key, row in images.items():
        assert row.get("base", key) in images, f"{key} builds on {row['base']}, not in the catalog"
    assert sorted(hub.tags("library/node")) == sorted(table["tags"]["node"])


def test_tags_of_one_image_are_one_recipe_and_images_share_their_base() -> None:
    assert hub.CATALOG["debian"]["latest"] is hub.CATALOG["debian"]["bookworm"]
    node20, python312 = hub.CATALOG["node"]["20"], hub.CATALOG["python"]["3.12"]
    assert node20.base is python312.base  # both build on buildpack-deps:bookworm
    node18 = hub.CATALOG["node"]["18"]
    assert node18.steps[0] is node20.steps[0]  # the node user's layer, once per release


def test_an_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown image family 'nope'"):
        _recipe({"family": "nope"}, None)


def test_files_are_read_as_stored() -> None:
    assert file_text("hello/message.txt").startswith("\nHello from Docker!\n")
    assert file_text("nginx/etc/nginx/nginx.conf").startswith("\nuser  nginx;\n")
    assert file_names("nginx/docker-entrypoint.d") == [
        "10-listen-on-ipv6-by-default.sh",
        "15-local-resolvers.envsh",
        "20-envsubst-on-templates.sh",
        "30-tune-worker-processes.sh",
    ]
