"""Who is in the cohort, and how do NPM1-mutated and wild-type AML fare?"""

from cohort.report.blocks import table_one_block
from cohort.report.guarded import guarded_cox, guarded_cuminc, guarded_km
from cohort.report.prose import describe_km
from cohort.report.runner import run_script

TITLE = "Cohort overview"
QUESTION = (
    "Who is in the cohort, how long were they followed, and how do overall survival, event-free survival "
    "and relapse differ between NPM1-mutated and NPM1-wild-type AML?"
)
REQUIRES = ("npm1", "os")
OPTIONAL = ("efs", "cir", "flt3_itd", "age")


def analyse(cohort, report):
    data = cohort.data
    report.heading("Patient characteristics by NPM1 status")
    table_one_block(report, data, "npm1")
    report.heading("Overall and event-free survival")
    os_fit = guarded_km(
        report, "os_by_npm1", data, "npm1", endpoint="os", title="Overall survival by NPM1 status"
    )
    if os_fit is not None:
        report.text(describe_km(os_fit))
    guarded_km(
        report,
        "efs_by_npm1",
        data,
        "npm1",
        endpoint="efs",
        title="Event-free survival by NPM1 status",
    )
    report.heading("Relapse")
    guarded_cuminc(
        report, "cir_by_npm1", data, "npm1", title="Cumulative incidence of relapse by NPM1 status"
    )
    report.heading("Multivariable model")
    guarded_cox(
        report,
        "cox_os",
        data,
        "npm1 + flt3_itd + age",
        title="Overall survival: NPM1, FLT3-ITD and age",
    )


if __name__ == "__main__":
    run_script(__file__)
