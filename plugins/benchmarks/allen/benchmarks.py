from mousescore import Benchmark, load_dataset, rdm_benchmark


def rsa_benchmark(identifier: str, sites) -> Benchmark:
    products = load_dataset("allen")
    rdms = products["rdms"].sel(site=list(sites))
    return rdm_benchmark(identifier, "allen", products["stimuli"], rdms.values, rdms["stimulus_id"].values,
                         list(sites), rdms["ceiling"].values,
                         "split-half RDM reliability (Spearman-Brown), mean over sites",
                         metadata={"sites": list(sites)})
