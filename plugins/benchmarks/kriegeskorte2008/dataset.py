"""The ``kriegeskorte2008`` dataset: a MATLAB v5 file, parsed by scipy (never evaluated)."""
import numpy as np
import scipy.io
import xarray as xr
from scipy.spatial.distance import squareform

from mousescore import DataError, DatasetSpec, RemoteFile, StimulusSet

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


DATASET = DatasetSpec(
    "kriegeskorte2008", FILES, package, packager_version="1",
    metadata={"description": "92 object images with the macaque IT (Kiani 2007, 674 neurons) and human IT "
                             "RDMs of Kriegeskorte et al. 2008", "license": "MIT (rsatoolbox)"})
