"""The pages around the rankings: the paper's analyses with their figures, how to submit a model, and
how to cite."""
from __future__ import annotations

from typing import Dict, Iterable

from . import figures
from .markup import code_block, dataset_citations, downloads, esc, fmt, href, page

FIGURE_CAPTIONS = {
    "trained-vs-random": ("Trained vs random init (Fig. 1)",
                          "Each point is a network: its cross-validated score trained (y) against its random-init "
                          "variant (x), one panel per score: RSA over the six Allen areas (real RDMs of the Allen "
                          "Brain Observatory recordings), the real Allen SRP-Ridge once those benchmarks are built, "
                          "and SRP-Ridge on the real antolik2016 V1 neurons; above the diagonal, training helped. "
                          "Vertical bars: the paired 95% interval of trained − random from the CV values' "
                          "resamples (the layer chosen again in each); a bar crossing the diagonal is a "
                          "difference not told apart from 0."),
    "one-backbone-tasks": ("One backbone, different tasks",
                           "One MobileNetV2 backbone trained for different tasks (ImageNet classification in "
                           "float and 8-bit, iNaturalist birds, PASCAL VOC semantic segmentation as the DeepLabV3 "
                           "encoder), each against the same random-init MobileNetV2: the difference of their "
                           "cross-validated values with its paired 95% interval, per score (RSA over the six "
                           "Allen areas and the antolik2016 V1 neurons: real recordings). Filled: differs from 0 "
                           "by Holm's procedure over the panel's comparisons. The half-width DeepLab (dm05) has "
                           "no half-width random twin: it is compared with the full-width one. The 8-bit and "
                           "TFLite networks differ from the float torchvision one in more than their task "
                           "(quantization, framework, export), so only differences between them that exceed "
                           "those between the ImageNet exports speak to the task."),
    "depth-by-area": ("Best-layer depth by area (Fig. 2)",
                      "Relative depth (0 first layer, 1 last) of the layer each model commits to per area "
                      "(real Allen recordings), areas from VISp up the hierarchy; bars are medians, vertical "
                      "lines their 95% bootstrap interval over models (the records hold each model's best "
                      "layer on all stimuli, not per draw, so the models are resampled). The title gives the "
                      "paper's §3.7 test: Friedman's chi-square across the six areas with the models that "
                      "have all six as blocks, Kendall's W = chi2 / (n (k − 1)) and p."),
    "family-mosaic": ("Task clusters and families (Fig. 3)",
                      "Area-mean scores over the six Allen areas (real recordings), grouped by the task a network "
                      "was trained for (its task cluster, else its family); all random-init networks form one "
                      "group and the baselines another, since a random-init network was trained for no task. "
                      "Black bars are group medians, the grey band spans the areas' ceilings; marker shape "
                      "tells trained, random init and baseline models apart."),
    "max-vs-cv": ("Max vs its cross-validated value",
                  "Per model, Max − CV value (the layer chosen on half the stimuli, scored on the other "
                  "half; for the Allen scores the mean over the six areas) against its number of layers: "
                  "what the Max owes to choosing its layer on the data it reports. Real recordings: Allen "
                  "RSA, real Allen SRP-Ridge once built, antolik2016 V1 SRP-Ridge."),
    "rsa-vs-srp-ridge": ("RSA vs SRP-Ridge (§3.8)",
                         "Each model's RSA score against its SRP-Ridge score, with their Spearman rank "
                         "correlation across models: the Allen area means once the real Allen SRP-Ridge "
                         "benchmarks are built, until then both metrics on the same real antolik2016 V1 neurons."),
}

PAPER_BIBTEX = """@inproceedings{conwell2021neural,
  title     = {Neural Regression, Representational Similarity, Model Zoology {\\&} Neural Taskonomy at Scale
               in Rodent Visual Cortex},
  author    = {Conwell, Colin and Mayo, David and Buice, Michael A. and Katz, Boris and Alvarez, George A.
               and Barbu, Andrei},
  booktitle = {Advances in Neural Information Processing Systems (NeurIPS)},
  volume    = {34},
  year      = {2021}
}"""


def software_bibtex(version: str) -> str:
    return ("@software{mousescore,\n"
            "  title   = {mousescore: the Brain-Score of mouse visual cortex},\n"
            f"  version = {{{version}}},\n"
            "  note    = {Scores image-computable networks against mouse visual cortex with SRP-Ridge and RSA, "
            "following Conwell et al. (NeurIPS 2021)},\n"
            "  license = {MIT}\n}")


def analyses_page(results: Dict[str, Dict]) -> str:
    sections = []
    for name, (title, caption) in FIGURE_CAPTIONS.items():
        sections.append(f'<section id="{esc(name)}"><h2>{esc(title)}</h2>\n'
                        f'<figure><img src="{href("figures", name + ".svg")}" alt="{esc(title)}">'
                        f"<figcaption>{esc(caption)}{_analysis_note(name, results[name])} "
                        f"{downloads('', name)}</figcaption></figure></section>")
    body = ("<h1>Analyses</h1>\n<p>The paper's analyses on the board's records (recordings only). Each figure's "
            "numbers can be downloaded beside it, as CSV (one row per point) and as JSON (everything it was drawn "
            "from).</p>\n" + "\n".join(sections))
    return page("Analyses", body, current="analyses.html")


def _analysis_note(name: str, data: Dict) -> str:
    if name == "rsa-vs-srp-ridge":
        spearman = data["spearman"]
        rho = "n/a (fewer than 3 models or constant scores)" if spearman["rho"] is None else f"{spearman['rho']:.3f}"
        return esc(f" {data['labels']['rsa']} vs {data['labels']['srp_ridge']}: Spearman rho = {rho}, "
                   f"n = {spearman['n']} models.")
    if name == "max-vs-cv":
        return esc("".join(f" {panel['label']}: mean gap {fmt(panel['mean_gap']) or 'n/a'} over "
                           f"{len(panel['points'])} models, {fmt(panel['slope_per_doubling']) or 'n/a'} per "
                           f"doubling of layers." for panel in data["metrics"].values()))
    if name == "one-backbone-tasks":
        return esc(backbone_summary(data))
    if name == "depth-by-area":
        return esc("".join(f" {panel['label']}: {figures.friedman_text(panel['friedman'])}."
                           for panel in data["metrics"].values()).replace("\n", " "))
    return ""


def backbone_summary(data: Dict) -> str:
    """What the one-backbone analysis shows, in words generated from its numbers (whichever way it goes)."""
    if not data["networks"]:
        return f" {data.get('reason', '')}."
    parts = []
    for metric, label in data["metrics"].items():
        compared = [(entry["model"], entry["vs_random"].get(metric)) for entry in data["networks"]]
        compared = [(model, found) for model, found in compared if found]
        if not compared:
            parts.append(f" {label}: no paired interval yet (records before 0.5).")
            continue
        above = [model for model, found in compared if found.get("differs") and found["difference"] > 0]
        below = [model for model, found in compared if found.get("differs") and found["difference"] < 0]
        best = max(compared, key=lambda item: item[1]["difference"])
        parts.append(f" {label}: of {len(compared)} networks, {len(above)} above and {len(below)} below their random "
                     f"twin (Holm); largest difference {best[1]['difference']:.3f} "
                     f"[{best[1]['low']:.3f}, {best[1]['high']:.3f}] ({best[0]}).")
        reference_task = data["networks"][0]["task"]
        for entry in data["networks"]:
            found = entry["vs_reference"].get(metric)
            if found and entry["task"] != reference_task:
                verdict = "differs (Holm)" if found.get("differs") else "not told apart"
                parts.append(f" {entry['model']} ({entry['task']}) − {data['reference']} ({reference_task}): "
                             f"{found['difference']:.3f} [{found['low']:.3f}, {found['high']:.3f}], {verdict}.")
    return "".join(parts)


def submit_page(benchmarks: Iterable[str]) -> str:
    shell = ("mousescore new-plugin mynet                 # a pip-installable plugin package with a test\n"
             "cd mousescore-plugin-mynet                  # put your network in mousescore_plugin_mynet/__init__.py\n"
             "python -m pip install -e .\n"
             "python -m pytest                            # the conformance kit on your models\n"
             "mousescore score mynet-random allen.VISp-rsa   # try it on one benchmark\n"
             "mousescore submission check .               # RUNS THE PLUGIN'S CODE in a throw-away environment")
    count = len(list(benchmarks))
    body = (
        "<h1>Submit a model</h1>\n"
        "<p>Models reach the board as a <b>pull request</b> that adds a model plugin: a small pip-installable "
        "package that registers your networks through the <code>mousescore</code> entry point. The board's "
        "workflow checks it, scores every model it registers on every public benchmark, commits the result "
        "records to your pull request and attaches a preview of this site.</p>\n"
        "<h2>1. Write the plugin</h2>\n"
        "<p><code>mousescore new-plugin NAME</code> writes a working package with one seeded random-init network, "
        "complete metadata (family, architecture class, trained, training, input size, parameters), its "
        "conformance test and a README; swap in your own network. Trained weights are found by checksum (a "
        "cache, a weights mirror, an installed package that ships them, then their URL).</p>\n"
        f"{code_block(shell)}\n"
        "<h2>2. Check it</h2>\n"
        "<p><code>mousescore submission check PATH</code> installs a copy of the plugin into a throw-away virtual "
        "environment (offline and without dependencies; <code>--with-dependencies</code> lets pip fetch the "
        "declared ones there) and runs the conformance kit on every model: metadata complete, it builds, layers "
        "named, unique and in a stable order, features finite and deterministic, random init reproducible, "
        "identifiers new, and imports from mousescore's public API only. It prints a checklist and exits "
        "non-zero naming the first failure. It runs the plugin's code as you: it isolates your environment, it "
        "is not a sandbox.</p>\n"
        "<h2>3. Open the pull request</h2>\n"
        "<p>Add the plugin's folder under <code>submissions/</code> and open a pull request. The workflow "
        "<code>.github/workflows/leaderboard.yml</code> runs the same check, scores the models on the "
        f"{count} benchmarks of this board, commits the records under <code>leaderboard/results/</code> (or "
        "attaches them, for a pull request from a fork) and builds a preview of the site. Once merged, the "
        "site is rebuilt from the committed records.</p>\n"
        "<h2>Score your own network without submitting it</h2>\n"
        + code_block("import mousescore\n\n"
                     "results = mousescore.score(my_torch_module, [\"allen.*-rsa\"], input_size=224)\n"
                     "results.to_pandas()\n"
                     "(results + mousescore.load_board()).compare(results[0].model, \"alexnet-random\")"))
    return page("Submit", body, current="submit.html")


def cite_page(version: str, cards: Dict[str, Dict]) -> str:
    body = ("<h1>Cite</h1>\n"
            "<p>If you use the board or mousescore, please cite the software and the paper whose methods it "
            "implements, and the datasets whose recordings your numbers come from.</p>\n"
            f'<h2>The software</h2>\n<pre class="bibtex" id="bibtex-software">{esc(software_bibtex(version))}</pre>\n'
            f'<h2>The paper</h2>\n<p>Conwell, Mayo, Buice, Katz, Alvarez &amp; Barbu (2021), Neural Regression, '
            f"Representational Similarity, Model Zoology &amp; Neural Taskonomy at Scale in Rodent Visual Cortex. "
            f"Advances in Neural Information Processing Systems 34 (NeurIPS 2021).</p>\n"
            f'<pre class="bibtex" id="bibtex-paper">{esc(PAPER_BIBTEX)}</pre>\n'
            f"<h2>The datasets</h2>\n{dataset_citations(cards, cards)}\n"
            "<p>Each model's page lists the datasets of its scores; each benchmark's page its data card with "
            "the licence.</p>")
    return page("Cite", body, current="cite.html")
