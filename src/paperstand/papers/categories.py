"""arXiv's subject classification: archives and their categories, with their names.

Transcribed from arXiv's category taxonomy (https://arxiv.org/category_taxonomy) as it stands in 2025:
every category a new submission can carry. Archives without subdivisions (``gr-qc``, ``hep-th``,
``quant-ph``, ...) are categories themselves. Some categories are aliases of one another (``cs.SY`` and
``eess.SY``, ``math.IT`` and ``cs.IT``, ``math.ST`` and ``stat.TH``, ``math.MP`` and ``math-ph``,
``cs.NA`` and ``math.NA``, ``q-fin.EC`` and ``econ.GN``); arXiv lists both names on such papers, so both
are valid here. Archives retired in the 1990s (``alg-geom``, ``chao-dyn``, ``cmp-lg``, ...) are left
out: they only appear on old papers, which no digest sends.
"""

from __future__ import annotations

from difflib import get_close_matches

ARCHIVES: dict[str, str] = {
    "astro-ph": "Astrophysics", "cond-mat": "Condensed Matter", "cs": "Computer Science",
    "econ": "Economics", "eess": "Electrical Engineering and Systems Science",
    "gr-qc": "General Relativity and Quantum Cosmology", "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology", "hep-th": "High Energy Physics - Theory", "math": "Mathematics",
    "math-ph": "Mathematical Physics", "nlin": "Nonlinear Sciences", "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory", "physics": "Physics", "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance", "quant-ph": "Quantum Physics", "stat": "Statistics",
}

_SUBCATEGORIES: dict[str, dict[str, str]] = {
    "astro-ph": {
        "CO": "Cosmology and Nongalactic Astrophysics", "EP": "Earth and Planetary Astrophysics",
        "GA": "Astrophysics of Galaxies", "HE": "High Energy Astrophysical Phenomena",
        "IM": "Instrumentation and Methods for Astrophysics", "SR": "Solar and Stellar Astrophysics"},
    "cond-mat": {
        "dis-nn": "Disordered Systems and Neural Networks", "mes-hall": "Mesoscale and Nanoscale Physics",
        "mtrl-sci": "Materials Science", "other": "Other Condensed Matter", "quant-gas": "Quantum Gases",
        "soft": "Soft Condensed Matter", "stat-mech": "Statistical Mechanics",
        "str-el": "Strongly Correlated Electrons", "supr-con": "Superconductivity"},
    "cs": {
        "AI": "Artificial Intelligence", "AR": "Hardware Architecture", "CC": "Computational Complexity",
        "CE": "Computational Engineering, Finance, and Science", "CG": "Computational Geometry",
        "CL": "Computation and Language", "CR": "Cryptography and Security",
        "CV": "Computer Vision and Pattern Recognition", "CY": "Computers and Society", "DB": "Databases",
        "DC": "Distributed, Parallel, and Cluster Computing", "DL": "Digital Libraries",
        "DM": "Discrete Mathematics", "DS": "Data Structures and Algorithms", "ET": "Emerging Technologies",
        "FL": "Formal Languages and Automata Theory", "GL": "General Literature", "GR": "Graphics",
        "GT": "Computer Science and Game Theory", "HC": "Human-Computer Interaction",
        "IR": "Information Retrieval", "IT": "Information Theory", "LG": "Machine Learning",
        "LO": "Logic in Computer Science", "MA": "Multiagent Systems", "MM": "Multimedia",
        "MS": "Mathematical Software", "NA": "Numerical Analysis", "NE": "Neural and Evolutionary Computing",
        "NI": "Networking and Internet Architecture", "OH": "Other Computer Science", "OS": "Operating Systems",
        "PF": "Performance", "PL": "Programming Languages", "RO": "Robotics", "SC": "Symbolic Computation",
        "SD": "Sound", "SE": "Software Engineering", "SI": "Social and Information Networks",
        "SY": "Systems and Control"},
    "econ": {"EM": "Econometrics", "GN": "General Economics", "TH": "Theoretical Economics"},
    "eess": {"AS": "Audio and Speech Processing", "IV": "Image and Video Processing", "SP": "Signal Processing",
             "SY": "Systems and Control"},
    "math": {
        "AC": "Commutative Algebra", "AG": "Algebraic Geometry", "AP": "Analysis of PDEs",
        "AT": "Algebraic Topology", "CA": "Classical Analysis and ODEs", "CO": "Combinatorics",
        "CT": "Category Theory", "CV": "Complex Variables", "DG": "Differential Geometry",
        "DS": "Dynamical Systems", "FA": "Functional Analysis", "GM": "General Mathematics",
        "GN": "General Topology", "GR": "Group Theory", "GT": "Geometric Topology", "HO": "History and Overview",
        "IT": "Information Theory", "KT": "K-Theory and Homology", "LO": "Logic", "MG": "Metric Geometry",
        "MP": "Mathematical Physics", "NA": "Numerical Analysis", "NT": "Number Theory",
        "OA": "Operator Algebras", "OC": "Optimization and Control", "PR": "Probability",
        "QA": "Quantum Algebra", "RA": "Rings and Algebras", "RT": "Representation Theory",
        "SG": "Symplectic Geometry", "SP": "Spectral Theory", "ST": "Statistics Theory"},
    "nlin": {"AO": "Adaptation and Self-Organizing Systems", "CD": "Chaotic Dynamics",
             "CG": "Cellular Automata and Lattice Gases", "PS": "Pattern Formation and Solitons",
             "SI": "Exactly Solvable and Integrable Systems"},
    "physics": {
        "acc-ph": "Accelerator Physics", "ao-ph": "Atmospheric and Oceanic Physics", "app-ph": "Applied Physics",
        "atm-clus": "Atomic and Molecular Clusters", "atom-ph": "Atomic Physics", "bio-ph": "Biological Physics",
        "chem-ph": "Chemical Physics", "class-ph": "Classical Physics", "comp-ph": "Computational Physics",
        "data-an": "Data Analysis, Statistics and Probability", "ed-ph": "Physics Education",
        "flu-dyn": "Fluid Dynamics", "gen-ph": "General Physics", "geo-ph": "Geophysics",
        "hist-ph": "History and Philosophy of Physics", "ins-det": "Instrumentation and Detectors",
        "med-ph": "Medical Physics", "optics": "Optics", "plasm-ph": "Plasma Physics", "pop-ph": "Popular Physics",
        "soc-ph": "Physics and Society", "space-ph": "Space Physics"},
    "q-bio": {
        "BM": "Biomolecules", "CB": "Cell Behavior", "GN": "Genomics", "MN": "Molecular Networks",
        "NC": "Neurons and Cognition", "OT": "Other Quantitative Biology", "PE": "Populations and Evolution",
        "QM": "Quantitative Methods", "SC": "Subcellular Processes", "TO": "Tissues and Organs"},
    "q-fin": {
        "CP": "Computational Finance", "EC": "Economics", "GN": "General Finance",
        "MF": "Mathematical Finance", "PM": "Portfolio Management", "PR": "Pricing of Securities",
        "RM": "Risk Management", "ST": "Statistical Finance", "TR": "Trading and Market Microstructure"},
    "stat": {"AP": "Applications", "CO": "Computation", "ME": "Methodology", "ML": "Machine Learning",
             "OT": "Other Statistics", "TH": "Statistics Theory"},
}

# Every category a paper can carry, code → name: ``cs.CL``, ``physics.optics``, and the undivided archives.
CATEGORIES: dict[str, str] = {
    **{f"{archive}.{code}": name for archive, codes in _SUBCATEGORIES.items() for code, name in codes.items()},
    **{archive: name for archive, name in ARCHIVES.items() if archive not in _SUBCATEGORIES},
}
# Lower-cased spelling → the official one, so "CS.cl" or "cs.cl" in a form means cs.CL.
_CANONICAL: dict[str, str] = {code.lower(): code for code in [*CATEGORIES, *ARCHIVES]}


class UnknownCategory(ValueError):
    """A topic that is neither an arXiv category nor an archive; the message lists what is valid."""


def categories_of(archive: str) -> list[str]:
    """The categories of an archive, in arXiv's order (an undivided archive is its own one category)."""
    if archive in _SUBCATEGORIES:
        return [f"{archive}.{code}" for code in _SUBCATEGORIES[archive]]
    return [archive] if archive in ARCHIVES else []


def canonical_topic(text: str) -> str:
    """The official spelling of a category or whole archive (``cs`` = every cs category), or ``UnknownCategory``."""
    found = _CANONICAL.get(text.strip().lower())
    if found is not None:
        return found
    shown = text.strip()[:40]
    archive = _CANONICAL.get(shown.split(".", 1)[0].lower())
    if archive in _SUBCATEGORIES:
        guess = get_close_matches(shown.lower(), [c.lower() for c in categories_of(archive)], n=1, cutoff=0.8)
        hint = f"did you mean {_CANONICAL[guess[0]]}? " if guess else ""
        raise UnknownCategory(f"{shown!r} is not an arXiv category; {hint}{archive} has "
                              f"{', '.join(categories_of(archive))}, or {archive} alone for all of them")
    raise UnknownCategory(f"{shown!r} is not an arXiv category or archive; archives are "
                          f"{', '.join(sorted(ARCHIVES))} (e.g. cs, or cs.CL for one category)")


def category_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every archive with its name and its ``(category, name)`` pairs, for a page to list them."""
    return [(archive, name, [(code, CATEGORIES[code]) for code in categories_of(archive)])
            for archive, name in sorted(ARCHIVES.items())]
