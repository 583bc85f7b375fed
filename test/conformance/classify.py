"""Categories for differences between rdwh and the oracle, used by run.py --update to label new
entries of the expected-differences lists. Each rule: a category, the reason written into the
list, and a test on (case, rdwh answer, oracle answer)."""


def classify(case, rdwh, oracle):
    for category, reason, test in RULES:
        if test(case, rdwh, oracle):
            return category, reason
    return "unclassified", ""


RULES = []
