"""The 118 natural scenes of the Allen Brain Observatory: how many, their size and their stimulus ids."""
N_SCENES = 118
SCENE_SIDE = 31
STIMULUS_SET = "allen.natural_scenes"


def scene_ids():
    return [f"allen_scene_{i:03d}" for i in range(N_SCENES)]
