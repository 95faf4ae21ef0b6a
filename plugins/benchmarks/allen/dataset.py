"""The ``allen`` dataset: upstream files and the packager that turns them into xarray products."""
import numpy as np
import pandas as pd
import xarray as xr

from mousescore import DataError, DatasetSpec, RemoteFile, StimulusSet, load_pickle, stimulus_sampler

from .builder import build
from .scenes import N_SCENES, SCENE_SIDE, STIMULUS_SET, scene_ids

_RAW = "https://raw.githubusercontent.com"
FILES = [
    RemoteFile("scenes", f"{_RAW}/psailamul/Allen_Brain_Observatory/65e5655bb629aac834ee7a0dde3c99e4994902a5"
                         "/Allen_data_170513/all_input_scenes_118_961.npy",
               "0d40bbf7490200a0f833c8ca942773c60e72959c32a9810baeae73972ac73ea2",
               "allen_natural_scenes/all_input_scenes_118_961.npy"),
    RemoteFile("rdms", f"{_RAW}/ColinConwell/DeepMouseTrap/706ab15a823db0067af9eae31efba872e0c0825c"
                       "/neural_data/rdms_reliable.pkl",
               "4008746e62c7e687c7ad81d2db6828eafd85277d99c3b8efb67278eb3b608f12",
               "allen_rdms/rdms_reliable.pkl"),
    RemoteFile("ceilings", f"{_RAW}/ColinConwell/DeepMouseTrap/706ab15a823db0067af9eae31efba872e0c0825c"
                           "/neural_data/rdms_noise_ceiling.csv",
               "967f6478c7ed33228dd21cf98fd44a735dcc6d7cd661b8054055c921bfd75a0c",
               "allen_rdms/rdms_noise_ceiling.csv"),
]
SITES = {
    "VISp": ["layer23", "layer4", "layer5", "layer6"],
    "VISl": ["layer23", "layer4", "layer5", "layer6"],
    "VISal": ["layer23", "layer4", "layer5"],
    "VISrl": ["layer23", "layer4", "layer5"],
    "VISam": ["layer23", "layer4", "layer5"],
    "VISpm": ["layer23", "layer4", "layer5", "layer6"],
}
def package(files):
    scenes = np.load(files["scenes"], allow_pickle=False)
    if scenes.shape != (N_SCENES, SCENE_SIDE * SCENE_SIDE):
        raise DataError(f"expected {N_SCENES} scenes of {SCENE_SIDE}x{SCENE_SIDE}, got {scenes.shape}")
    stimuli = StimulusSet.create(scenes.reshape(N_SCENES, SCENE_SIDE, SCENE_SIDE) / 255.0, scene_ids(),
                                 presentation_coords={"scene_index": np.arange(N_SCENES)},
                                 attrs={"identifier": STIMULUS_SET,
                                        "note": "118 grayscale scenes downsampled to 31x31 upstream"})
    similarity = load_pickle(files["rdms"])
    ceilings = pd.read_csv(files["ceilings"]).set_index(["area", "layer"])
    sites, matrices, areas, layers, means, sems = [], [], [], [], [], []
    for area, area_layers in SITES.items():
        for layer in area_layers:
            try:
                matrix = np.asarray(similarity[area][layer], dtype=np.float64)
                row = ceilings.loc[(area, layer)]
            except (KeyError, TypeError) as error:
                raise DataError(f"allen RDM file has no site {area} {layer}") from error
            if matrix.shape != (N_SCENES + 1, N_SCENES + 1) or not np.allclose(matrix, matrix.T):
                raise DataError(f"allen RDM {area} {layer}: need a symmetric 119x119 matrix")
            # Measured order: rows 0..117 are scenes 0..117, row 118 is the blank; drop the blank.
            matrices.append(1.0 - matrix[:N_SCENES, :N_SCENES])
            sites.append(f"{area}_{layer}")
            areas.append(area)
            layers.append(layer)
            means.append(float(row["mean"]))
            sems.append(float(row["sem"]))
    rdms = xr.DataArray(np.stack(matrices), dims=("site", "presentation", "presentation_other"),
                        coords={"site": sites, "area": ("site", areas), "cortical_layer": ("site", layers),
                                "ceiling": ("site", means), "ceiling_sem": ("site", sems),
                                "stimulus_id": ("presentation", scene_ids())},
                        name="rdms", attrs={"description": "1 - Pearson r between scenes across the "
                                                           "site's reliable neurons, blank dropped"})
    return {"stimuli": stimuli, "rdms": rdms}


def download_build(**options):
    """``mousescore data build allen --download`` (imported only then: it needs dask)."""
    from .download import download_and_build
    return download_and_build(**options)


# The data card of the leaderboard's benchmark pages (facts from the upstream files and their papers)
CARD = {
    "title": "Allen Brain Observatory Visual Coding: natural scenes",
    "species": "mouse (Mus musculus), transgenic Cre lines",
    "areas": "VISp, VISl, VISal, VISrl, VISam, VISpm; cortical layers 2/3, 4, 5 and 6 (21 area × layer sites)",
    "recording": "two-photon calcium imaging, awake head-fixed mice",
    "neurons": "per site, the reliable neurons (split-half r > 0.75) that running does not modulate, pooled "
               "over mice: over 6,000 in all (Conwell et al. 2021); the published RDMs do not give counts per site",
    "animals": "pooled over the Visual Coding mice (256 adult transgenic mice in Conwell et al. 2021)",
    "images": "118 natural scenes, grayscale, 31 × 31 pixels as published (downsampled upstream from 918 × 1174)",
    "repeats": "50 presentations of each scene in the Allen protocol; the RDMs are of trial-averaged responses",
    "ceiling": "split-half reliability of each site's RDM (Spearman-Brown), published with the RDMs; an area's "
               "ceiling is the mean over its sites",
    "citation": "de Vries et al. (2020), A large-scale standardized physiological survey reveals functional "
                "organization of the mouse visual cortex, Nature Neuroscience 23: 138–151; the site RDMs: Conwell "
                "et al. (2021), NeurIPS",
    "doi": "10.1038/s41593-019-0550-9",
    "license": "Allen Institute terms of use (research use, with citation)",
    "source": "https://github.com/ColinConwell/DeepMouseTrap",
}

DATASET = DatasetSpec(
    "allen", FILES, package, packager_version="1", builder=build, downloader=download_build,
    metadata={"description": "Allen Brain Observatory: 118 natural scenes and the site RDMs (area x cortical "
                             "layer) of Conwell et al. 2021", **CARD, "sample_images": stimulus_sampler("allen")})
