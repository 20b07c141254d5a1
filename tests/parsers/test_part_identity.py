"""Which file of a message completes which report (req. 7), pure."""

from __future__ import annotations

from parsers.mail_classify import AgencyRef
from parsers.model import Agency, Indicator, ParseResult, SectionText
from parsers.responses import Candidate, belongs_with, plan_units

AGENCIES = [AgencyRef(1, "mttq", "Ủy ban MTTQ Việt Nam tỉnh", (), ("mttq@qn.example",))]


def report(file: str, fmt: str, number: str | None, *, part_of: str | None = None, agency: str | None = "mttq") -> ParseResult:
    r = ParseResult(file=file, format=fmt, kind="report", agency=Agency(agency, None, 0.9 if agency else 0.0),
                    doc_number=number, part_of=part_of, sha256=file)
    if fmt == "docx":
        r.sections = {"1.a": SectionText("Đã ban hành kế hoạch.", empty=False)}
    else:
        r.indicators = {"1": Indicator(plan=10, result=8)}
    return r


def test_an_appendix_naming_the_report_joins_it_and_one_naming_another_does_not():
    main = report("BC.docx", "docx", "312/BC-MTTQ-BTT")
    assert belongs_with(report("PL.xlsx", "xlsx", None, part_of="312/BC-MTTQ-BTT", agency=None), main)
    assert belongs_with(report("PL.xlsx", "xlsx", None, part_of="312/BC-MTTQ-BTT", agency="soyt"), main)
    assert not belongs_with(report("PL.xlsx", "xlsx", None, part_of="77/BC-SYT", agency=None), main)
    assert belongs_with(report("B.xlsx", "xlsx", None, agency=None), main)  # no identity: as before


def test_the_report_is_the_main_document_and_its_appendix_fills_the_table():
    appendix = report("Phu luc.xlsx", "xlsx", None, part_of="312/BC-MTTQ-BTT")
    main = report("BC.docx", "docx", "312/BC-MTTQ-BTT")
    (unit,) = plan_units(AGENCIES, "submission", [Candidate(appendix, 0), Candidate(main, 1)],
                         sender="mttq@qn.example", forwards=[], text="", fallback_key="", source_key="")
    assert unit.candidate is not None and unit.candidate.result.file == "BC.docx"
    merged = unit.merged()
    assert merged is not None and merged.indicators["1"].plan == 10 and not merged.sections["1.a"].empty


def test_an_appendix_names_its_report_by_number_and_date():
    from parsers.responses import names_report

    appendix = report("PL.xlsx", "xlsx", None, part_of="15/BC-STP", agency=None)
    appendix.part_of_date = "2025-06-10"
    assert names_report(appendix, "15 / BC-STP", "2025-06-10")
    assert names_report(appendix, "15/BC-STP", None)  # the report gives no date: the number decides
    assert not names_report(appendix, "15/BC-STP", "2025-07-01")  # same number, another date
    assert not names_report(appendix, "16/BC-STP", "2025-06-10")
    assert not names_report(report("BC.docx", "docx", "15/BC-STP"), "15/BC-STP", None)  # not an appendix


def test_an_appendix_alone_or_beside_another_report_waits_for_its_own():
    from parsers.responses import appendix_of

    appendix = report("PL.xlsx", "xlsx", None, part_of="15/BC-STP", agency=None)
    (alone,) = plan_units(AGENCIES, "submission", [Candidate(appendix, 0)],
                          sender="mttq@qn.example", forwards=[], text="", fallback_key="", source_key="")
    assert alone.appendix_of == ("15/BC-STP", None)
    # Sent with a cover letter that is the document it names: the spreadsheet is the report.
    letter = ParseResult(file="CV.docx", format="docx", kind="not_a_report", doc_number="15/BC-STP", sha256="CV.docx")
    assert appendix_of(Candidate(appendix, 0), [Candidate(appendix, 0), Candidate(letter, 1)]) is None
    # Beside a report of another number: the report is one response, the appendix another.
    main = report("BC.docx", "docx", "22/BC-MTTQ")
    units = plan_units(AGENCIES, "submission", [Candidate(main, 0), Candidate(appendix, 1)],
                       sender="mttq@qn.example", forwards=[], text="", fallback_key="", source_key="")
    assert [u.candidate.result.file for u in units if u.candidate] == ["BC.docx", "PL.xlsx"]
    assert units[0].appendix_of is None and units[0].companions == [] and units[1].appendix_of == ("15/BC-STP", None)
    # Beside its own report: a companion, one response.
    own = report("BC.docx", "docx", "15/BC-STP")
    (unit,) = plan_units(AGENCIES, "submission", [Candidate(own, 0), Candidate(appendix, 1)],
                         sender="mttq@qn.example", forwards=[], text="", fallback_key="", source_key="")
    assert unit.appendix_of is None and [c.result.file for c in unit.companions] == ["PL.xlsx"]


def test_a_sheet_attached_to_a_letter_or_to_our_request_is_the_report():
    from parsers.responses import appendix_of

    for number in ("25/SYT-KHTC", "1301/SKHCN-TĐC"):  # a công văn's number, our request's number
        sheet = report("Bieu.xlsx", "xlsx", None, part_of=number, agency=None)
        assert appendix_of(Candidate(sheet, 0), [Candidate(sheet, 0)]) is None
    sheet = report("Bieu.xlsx", "xlsx", None, part_of="12/BC.UBND", agency=None)
    assert appendix_of(Candidate(sheet, 0), [Candidate(sheet, 0)]) == ("12/BC.UBND", None)
