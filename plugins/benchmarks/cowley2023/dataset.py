"""The ``cowley2023`` dataset: images from the zip (read in memory, never extracted) and responses."""
import io
import re
import zipfile

import numpy as np
from PIL import Image, UnidentifiedImageError

from mousescore import DataError, DatasetSpec, NeuroidAssembly, RemoteFile, StimulusSet, open_zip, stimulus_sampler

_BASE = ("https://raw.githubusercontent.com/cowleygroup/V4_compact_models/"
         "f4552ad9d34a466ebc66658f72a08a8e5038f1cf/data_V4_responses")
FILES = [
    RemoteFile("images", f"{_BASE}/images/images_210325.zip",
               "992774eca3508a2ad01accb1a31f5f3e3d90248c49f4eec314f2a915a263e454",
               "cowley_v4/images_210325.zip"),
    RemoteFile("responses_raw", f"{_BASE}/responses_raw/responses_210325.npy",
               "4008dbbf31a47d9b1b8d8da609f4a7a3433c7071f0e45c611c220b217dd75b76",
               "cowley_v4/responses_raw_210325.npy"),
    RemoteFile("responses_avg", f"{_BASE}/responses_repeat_averaged/responses_210325.npy",
               "555e67037182611969ab90da291dcc39601de4411f651a64ad60e90572cf59d3",
               "cowley_v4/responses_avg_210325.npy"),
]
SESSION = "210325"
N_IMAGES = 640
IMAGE_NAME = re.compile(r"^image(\d{4})\.jpg$")
STIMULUS_SET = "cowley2023.images_210325"


def read_images(path):
    """Decode image0001.jpg ... from the zip in memory, in numeric order, as RGB floats in [0, 1]."""
    with open_zip(path) as archive:
        names = sorted((n for n in archive.namelist() if IMAGE_NAME.match(n)),
                       key=lambda n: int(IMAGE_NAME.match(n).group(1)))
        images = []
        for name in names:
            try:
                with Image.open(io.BytesIO(archive.read(name))) as image:
                    images.append(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
            except (UnidentifiedImageError, OSError, zipfile.BadZipFile) as error:
                raise DataError(f"{path}: image {name} is missing or corrupt ({error})") from error
    return names, np.stack(images) if images else np.empty((0, 0, 0, 3))


def package(files):
    names, images = read_images(files["images"])
    raw = np.load(files["responses_raw"], allow_pickle=False)        # (neuron, image, repeat)
    average = np.load(files["responses_avg"], allow_pickle=False)    # (neuron, image)
    if len(names) != N_IMAGES or raw.shape[:2] != (average.shape[0], N_IMAGES) \
            or average.shape[1] != N_IMAGES:
        raise DataError(f"cowley2023: expected {N_IMAGES} images and matching responses, got "
                        f"{len(names)} images, raw {raw.shape}, averaged {average.shape}")
    if not np.allclose(np.nanmean(raw, axis=2), average, rtol=0, atol=1e-9):
        raise DataError("cowley2023: raw responses do not average to the repeat-averaged file")
    stimulus_ids = [f"cowley2023_{SESSION}_{name[:-4]}" for name in names]
    stimuli = StimulusSet.create(images, stimulus_ids, presentation_coords={"image_file": names},
                                 attrs={"identifier": STIMULUS_SET})
    n_neurons = raw.shape[0]
    assembly = NeuroidAssembly.create(
        raw.transpose(1, 0, 2), stimulus_ids,
        [f"cowley2023_{SESSION}_n{i:02d}" for i in range(n_neurons)],
        neuroid_coords={"region": ["V4"] * n_neurons, "session": [SESSION] * n_neurons,
                        "species": ["macaque"] * n_neurons},
        repetition=True, name="responses",
        attrs={"units": "spike counts per 100 ms", "padding": "NaN where an image had fewer repeats"})
    return {"stimuli": stimuli, "responses": assembly}


# The data card of the leaderboard's benchmark pages (facts from the upstream files and the paper)
CARD = {
    "title": "Cowley et al. (2023): macaque V4 responses to natural and synthesized images",
    "species": "macaque monkey (a primate reference beside the mouse benchmarks)",
    "areas": "V4",
    "recording": "spike counts in 100 ms bins",
    "neurons": "50",
    "animals": "one recording session (210325)",
    "images": "640 colour images, 112 × 112 pixels",
    "repeats": "6 to 10 per image",
    "ceiling": "split-half reliability of each neuron over the repeats (Spearman-Brown), mean over neurons",
    "citation": "Cowley, Stan, Pillow & Smith (2023), Compact deep neural network models of visual cortex, bioRxiv",
    "doi": "10.1101/2023.11.22.568315",
    "license": "GPL-3.0",
    "source": "https://github.com/cowleygroup/V4_compact_models",
}

DATASET = DatasetSpec(
    "cowley2023", FILES, package, packager_version="1",
    metadata={"description": "Macaque V4, session 210325: 640 images, 50 neurons, 6-10 repeats each",
              **CARD, "sample_images": stimulus_sampler("cowley2023")})
