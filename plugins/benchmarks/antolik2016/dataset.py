"""The ``antolik2016`` dataset: per-trial responses of mouse V1 layer 2/3 neurons in two recording
regions to the same 50 natural images (Antolík et al. 2016, S1 Dataset), and the images."""
import numpy as np

from mousescore import DataError, DatasetSpec, NeuroidAssembly, RemoteFile, StimulusSet, stimulus_sampler

_BASE = "https://raw.githubusercontent.com/kovacspe/diplomka/8d9edca5ae7af9bc903086581d3d79e75d7c07b4/data"
REGIONS = ("region1", "region2")
_RESPONSES_SHA256 = {"region1": "3ff518cee9d7dcde19525d11a294af09158a6b114f970dd01d43be278e7801dc",
                     "region2": "979ed05629561423b397d6c828a871229935262cf38e17f35a08da7f734733e8"}
_IMAGES_SHA256 = "a5269c567a431ed969301b75ffd39ba0c92432f583982e5742860cae92d392c9"   # the same in both
FILES = [file for region in REGIONS for file in (
    RemoteFile(f"{region}_responses", f"{_BASE}/{region}/raw_validation_set.npy", _RESPONSES_SHA256[region],
               f"antolik2016/{region}/raw_validation_set.npy"),
    RemoteFile(f"{region}_images", f"{_BASE}/{region}/validation_inputs.npy", _IMAGES_SHA256,
               f"antolik2016/{region}/validation_inputs.npy"))]
N_IMAGES = 50
SIDE = 31
LEVELS_SCALE = 1e6   # upstream stores 8-bit gray levels divided by 1e6
STIMULUS_SET = "antolik2016.natural_images"


def image_ids():
    return [f"antolik2016_image_{i:02d}" for i in range(N_IMAGES)]


def _images(path) -> np.ndarray:
    levels = np.load(path, allow_pickle=False) * LEVELS_SCALE
    if levels.shape != (N_IMAGES, SIDE * SIDE) or levels.min() < -1e-6 or levels.max() > 255 + 1e-6:
        raise DataError(f"{path}: expected {N_IMAGES} images of {SIDE}x{SIDE} gray levels 0..255 / 1e6, "
                        f"got shape {levels.shape}, range {levels.min():.3g}..{levels.max():.3g}")
    return np.clip(levels / 255.0, 0.0, 1.0).reshape(N_IMAGES, SIDE, SIDE)


def package(files):
    images = _images(files["region1_images"])
    if not np.array_equal(images, _images(files["region2_images"])):
        raise DataError("antolik2016: the two regions' images differ; they must be the same 50 images")
    per_region = {region: np.load(files[f"{region}_responses"], allow_pickle=False) for region in REGIONS}
    for region, trials in per_region.items():   # (repeat, image, neuron)
        if trials.ndim != 3 or trials.shape[1] != N_IMAGES or trials.shape[0] < 2:
            raise DataError(f"antolik2016 {region}: expected (repeats >= 2, {N_IMAGES}, neurons), got {trials.shape}")
    repeats = max(trials.shape[0] for trials in per_region.values())
    blocks, neuroid_ids, regions, repeat_counts = [], [], [], []
    for region, trials in per_region.items():
        padded = np.full((repeats,) + trials.shape[1:], np.nan)
        padded[:trials.shape[0]] = trials
        blocks.append(padded.transpose(1, 2, 0))              # -> (image, neuron, repeat)
        count = trials.shape[2]
        neuroid_ids += [f"antolik2016_{region}_n{i:03d}" for i in range(count)]
        regions += [region] * count
        repeat_counts += [trials.shape[0]] * count
    stimuli = StimulusSet.create(images, image_ids(), presentation_coords={"image_index": np.arange(N_IMAGES)},
                                 attrs={"identifier": STIMULUS_SET, "note": "31x31 gray natural images"})
    responses = NeuroidAssembly.create(
        np.concatenate(blocks, axis=1), image_ids(), neuroid_ids,
        neuroid_coords={"region": regions, "n_repeats": repeat_counts, "area": ["V1"] * len(regions),
                        "cortical_layer": ["layer23"] * len(regions)},
        repetition=True, name="responses",
        attrs={"units": "inferred spike rate per presentation (two-photon calcium imaging, anesthetized)",
               "padding": "NaN where a region had fewer repeats (region1 10, region2 8)"})
    return {"stimuli": stimuli, "responses": responses}


# The data card of the leaderboard's benchmark pages (facts from the upstream files and the paper)
CARD = {
    "title": "Antolík et al. (2016): mouse V1 responses to natural images (S1 Dataset)",
    "species": "mouse (Mus musculus)",
    "areas": "V1, layer 2/3",
    "recording": "two-photon calcium imaging, anesthetized; inferred spike rates, one value per presentation",
    "neurons": "158: 103 in region 1, 55 in region 2",
    "animals": "two recording regions (whether one animal or two is not stated with the data)",
    "images": "50 natural images, grayscale, 31 × 31 pixels; both regions saw the same 50",
    "repeats": "10 per image (region 1), 8 (region 2)",
    "ceiling": "split-half reliability of each neuron over the repeats (Spearman-Brown), mean over neurons",
    "citation": "Antolík, Hofer, Bednar & Mrsic-Flogel (2016), Model constrained by visual hierarchy improves "
                "prediction of neural responses to natural scenes, PLoS Comput Biol 12(6): e1004927",
    "doi": "10.1371/journal.pcbi.1004927",
    "license": "CC BY 4.0 (PLOS supporting information)",
    "source": "https://github.com/kovacspe/diplomka",
}

DATASET = DatasetSpec(
    "antolik2016", FILES, package, packager_version="1",
    metadata={"description": "Mouse V1 layer 2/3, two recording regions (103 and 55 neurons), 50 natural "
                             "images, 10 and 8 repeats (Antolik et al. 2016, S1 Dataset)",
              **CARD, "sample_images": stimulus_sampler("antolik2016")})
