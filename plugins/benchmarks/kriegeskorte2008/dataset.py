"""The ``kriegeskorte2008`` dataset: a MATLAB v5 file, parsed by scipy (never evaluated)."""
import numpy as np
import scipy.io
import xarray as xr
from scipy.spatial.distance import squareform

from mousescore import DataError, DatasetSpec, RemoteFile, StimulusSet, stimulus_sampler

FILES = [RemoteFile(
    "mat", "https://raw.githubusercontent.com/rsagroup/rsatoolbox/f1f83cadb7243492a1aae7460466e0f0140b20ac"
           "/demos/92imageData/Kriegeskorte_Neuron2008_supplementalData.mat",
    "06f21214399a5d43dc264eed19a7f4b8daf11c8622a59eec3e106064ce5e3504",
    "kriegeskorte92/Kriegeskorte_Neuron2008_supplementalData.mat")]
N_IMAGES = 92
FLAGS = ("human", "face", "animal", "natural")


def package(files):
    try:
        mat = scipy.io.loadmat(files["mat"])
        objects = mat["stimuli_92objs"][0]
        rdm_entries = {str(e["name"].ravel()[0]): e["RDM"].ravel() for e in mat["RDMs_mIT_hIT_fig1"][0]}
    except (ValueError, KeyError, IndexError, TypeError, NotImplementedError) as error:
        raise DataError(f"{files['mat']}: not the Kriegeskorte 2008 supplemental data ({error})") from error
    if len(objects) != N_IMAGES or {"mIT_674neurons", "hITvisStim_316vx"} - set(rdm_entries):
        raise DataError(f"{files['mat']}: expected 92 images and the mIT and hIT RDMs")
    ids = [f"kriegeskorte2008_{i + 1:02d}" for i in range(N_IMAGES)]
    images = np.stack([np.asarray(o["image"], dtype=np.float32) / 255.0 for o in objects])
    coords = {"category": [str(o["category"].ravel()[0]) for o in objects]}
    coords.update({flag: [bool(np.asarray(o[flag]).ravel()[0]) for o in objects] for flag in FLAGS})
    stimuli = StimulusSet.create(images, ids, presentation_coords=coords,
                                 attrs={"identifier": "kriegeskorte2008.92_objects"})
    # Condensed RDMs in MATLAB's pdist order, which is scipy's squareform order.
    square = [squareform(rdm_entries[name], checks=False) for name in ("mIT_674neurons", "hITvisStim_316vx")]
    rdms = xr.DataArray(np.stack(square), dims=("site", "presentation", "presentation_other"),
                        coords={"site": ["macaque_IT", "human_IT_fmri"], "stimulus_id": ("presentation", ids)},
                        name="rdms", attrs={"description": "1 - Pearson r RDMs of Kriegeskorte et al. 2008"})
    return {"stimuli": stimuli, "rdms": rdms}


# The data card of the leaderboard's benchmark pages (facts from the upstream file and the paper)
CARD = {
    "title": "Kriegeskorte et al. (2008): 92 object images, macaque IT RDM",
    "species": "macaque monkey (a primate reference beside the mouse benchmarks); human IT fMRI as a reference",
    "areas": "IT (inferior temporal cortex)",
    "recording": "single-cell recordings (Kiani et al. 2007), given as one RDM (1 − Pearson r)",
    "neurons": "674 (macaque IT); the human reference: 316 fMRI voxels",
    "animals": "not stated with the RDM",
    "images": "92 colour object images (faces, bodies, animals, natural and man-made objects), 175 × 175 pixels",
    "repeats": "none in the published RDM",
    "ceiling": "none published (an RDM only, no repeats): the maximum r = 1",
    "citation": "Kriegeskorte, Mur, Ruff, Kiani, Bodurka, Esteky, Tanaka & Bandettini (2008), Matching "
                "categorical object representations in inferior temporal cortex of man and monkey, Neuron 60(6): "
                "1126–1141",
    "doi": "10.1016/j.neuron.2008.10.043",
    "license": "MIT (rsatoolbox's copy)",
    "source": "https://github.com/rsagroup/rsatoolbox",
}

DATASET = DatasetSpec(
    "kriegeskorte2008", FILES, package, packager_version="1",
    metadata={"description": "92 object images with the macaque IT (Kiani 2007, 674 neurons) and human IT "
                             "RDMs of Kriegeskorte et al. 2008",
              **CARD, "sample_images": stimulus_sampler("kriegeskorte2008")})
