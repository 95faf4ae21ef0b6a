"""The IT RSA benchmark over the packaged RDM."""
from mousescore import Benchmark, load_dataset, rdm_benchmark
from mousescore.numerics import compare_rdms


def it_benchmark(identifier: str) -> Benchmark:
    products = load_dataset("kriegeskorte2008")
    rdms = products["rdms"]
    macaque, human = rdms.sel(site="macaque_IT").values, rdms.sel(site="human_IT_fmri").values
    reference = float(compare_rdms(human, macaque)[0])
    return rdm_benchmark(identifier, "kriegeskorte2008", products["stimuli"], macaque,
                         rdms["stimulus_id"].values, ["macaque_IT"], [1.0],
                         "none published (RDM only, no repeats): the maximum r = 1",
                         references={"human IT fMRI RDM vs macaque IT RDM (r)": reference})
