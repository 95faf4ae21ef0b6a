"""The ``majajhong2015`` dataset: Brain-Score's BrainIO files, sha1-checked, read into a StimulusSet and
responses."""
from mousescore import DatasetSpec, RemoteFile
from mousescore import read_brainio_assembly as read_assembly
from mousescore import read_brainio_stimulus_set as read_stimulus_set

BUCKET = "https://brainio-brainscore.s3.amazonaws.com"
FILES = [
    RemoteFile("assembly", f"{BUCKET}/assy_dicarlo_MajajHong2015_public.nc",
               "13d28ca0ce88ee550b54db3004374ae19096e9b9", "majajhong2015/assy_dicarlo_MajajHong2015_public.nc",
               "sha1"),
    RemoteFile("stimuli_csv", f"{BUCKET}/image_dicarlo_hvm-public.csv",
               "5ca7a3da00d8e9c694a9cd725df5ba0ad6d735af", "majajhong2015/image_dicarlo_hvm-public.csv", "sha1"),
    RemoteFile("stimuli_zip", f"{BUCKET}/image_dicarlo_hvm-public.zip",
               "8aa44e038d7b551efa8077467622f9d48d72e473", "majajhong2015/image_dicarlo_hvm-public.zip", "sha1"),
]


def package_brainio(files, stimulus_set_identifier="dicarlo.hvm-public"):
    responses = read_assembly(files["assembly"])
    stimuli = read_stimulus_set(files["stimuli_csv"], files["stimuli_zip"], responses.stimulus_ids(),
                                identifier=stimulus_set_identifier)
    return {"stimuli": stimuli, "responses": responses}


DATASET = DatasetSpec("majajhong2015", FILES, package_brainio, packager_version="1", metadata={
    "description": "Brain-Score public MajajHong2015: macaque V4 and IT, HvM images (BrainIO format)",
    "title": "Majaj, Hong et al. (2015): macaque V4 and IT (Brain-Score's public MajajHong2015)",
    "species": "macaque monkey", "areas": "V4, IT", "recording": "multi-electrode arrays",
    "images": "HvM object images (Brain-Score's public half)",
    "citation": "Majaj, Hong, Solomon & DiCarlo (2015), Simple learned weighted sums of inferior temporal neuronal "
                "firing rates accurately predict human core object recognition performance, J Neurosci 35(39): "
                "13402–13418",
    "doi": "10.1523/JNEUROSCI.5181-14.2015", "source": BUCKET})
