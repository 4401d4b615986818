"""Every kind of problem, declared once: stable code, severity, Thai and English text, fix.

Reports carry the code, so tools and tests match on codes, never on wording. Message
templates may use {value}, {column}, {sheet}, {cell} and any keyword given to
:func:`problem`. Add new kinds here, never inline in a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import Problem, Severity


@dataclass(frozen=True)
class Kind:
    code: str
    severity: Severity
    title_en: str
    message_th: str
    message_en: str
    fix_th: str
    fix_en: str


_KINDS: list[Kind] = [
    # ---- the file as a whole -------------------------------------------------------------
    Kind("file.unreadable", "error", "File cannot be read",
         "เปิดไฟล์ไม่ได้: {detail}", "The file cannot be opened: {detail}",
         "บันทึกไฟล์ใหม่จาก Excel หรือ LibreOffice เป็น .xlsx แล้วส่งอีกครั้ง",
         "Save the file again as .xlsx from Excel or LibreOffice and resend it."),
    Kind("file.empty", "error", "Empty file",
         "ไฟล์ว่างเปล่า (0 ไบต์)", "The file is empty (0 bytes)",
         "แนบไฟล์รายงานที่กรอกแล้วส่งอีกครั้ง", "Attach the filled report and send it again."),
    Kind("file.not-a-workbook", "error", "Not a workbook",
         "ไฟล์นี้ไม่ใช่ไฟล์ Excel/LibreOffice ({detail})",
         "This is not an Excel/LibreOffice workbook ({detail})",
         "ส่งไฟล์แบบรายงานที่ได้รับ (.xlsx) ที่กรอกแล้ว", "Send the filled report template (.xlsx)."),
    Kind("file.encrypted", "error", "Password-protected workbook",
         "ไฟล์ถูกตั้งรหัสผ่าน ระบบเปิดอ่านไม่ได้", "The workbook is password-protected",
         "ยกเลิกรหัสผ่านของไฟล์ (File > Info > Protect Workbook) แล้วส่งอีกครั้ง",
         "Remove the file password (File > Info > Protect Workbook) and resend."),
    Kind("file.too-large", "error", "File too large",
         "ไฟล์ใหญ่เกินกำหนด ({detail})", "The file is too large ({detail})",
         "ส่งเฉพาะแบบรายงานที่ได้รับ ไม่ต้องแนบรูปภาพหรือข้อมูลอื่น",
         "Send only the report template, without pictures or other data."),
    Kind("file.zip-bomb", "error", "Suspicious compression",
         "ไฟล์มีลักษณะผิดปกติ (ขยายตัวเกินกำหนด: {detail})",
         "The file is suspicious (expands too much: {detail})",
         "บันทึกแบบรายงานใหม่จากโปรแกรม Excel/LibreOffice แล้วส่งอีกครั้ง",
         "Save the template again from Excel/LibreOffice and resend."),
    Kind("file.hostile-xml", "error", "Unsafe XML",
         "ไฟล์มีโครงสร้าง XML ที่ไม่ปลอดภัย ({detail})", "The file contains unsafe XML ({detail})",
         "บันทึกแบบรายงานใหม่จากโปรแกรม Excel/LibreOffice แล้วส่งอีกครั้ง",
         "Save the template again from Excel/LibreOffice and resend."),
    Kind("file.too-many-cells", "error", "Sheet too large",
         "แผ่นงานมีข้อมูลมากเกินกำหนด ({detail})", "A sheet holds too much data ({detail})",
         "ลบข้อมูลที่ไม่เกี่ยวข้องออกจากแบบรายงาน", "Remove unrelated data from the template."),
    Kind("file.timeout", "error", "Reading took too long",
         "อ่านไฟล์นานเกินกำหนด ({detail})", "Reading the file took too long ({detail})",
         "บันทึกแบบรายงานใหม่ให้มีเฉพาะข้อมูลที่ต้องรายงาน", "Save the template with only the report data."),
    Kind("file.macros", "warning", "Macros ignored",
         "ไฟล์มีมาโคร ระบบอ่านเฉพาะข้อมูลและไม่เรียกใช้มาโคร",
         "The file contains macros; only the data was read, macros were never run",
         "ครั้งต่อไปบันทึกเป็น .xlsx (ไม่มีมาโคร)", "Next time save as .xlsx (no macros)."),
    Kind("file.external-links", "warning", "External links ignored",
         "ไฟล์มีการเชื่อมโยงไปยังไฟล์อื่น ระบบไม่ติดตามลิงก์", "The file links to other files; links were not followed",
         "คัดลอกและวางแบบค่า (Paste values) แทนการอ้างอิงไฟล์อื่น",
         "Paste values instead of references to other files."),
    Kind("file.unsupported-type", "error", "Unsupported attachment",
         "ไฟล์ชนิดนี้ไม่ใช่แบบรายงาน ({detail})", "This kind of file is not a report ({detail})",
         "ส่งแบบรายงานเป็นไฟล์ .xlsx (หรือ .xls .xlsm .ods)",
         "Send the report as .xlsx (or .xls, .xlsm, .ods)."),
    # ---- structure -------------------------------------------------------------------------
    Kind("structure.missing-sheet", "error", "Sheet missing",
         "ไม่พบแผ่นงาน \"{expected}\"", "Sheet \"{expected}\" not found",
         "ใช้แบบรายงานที่ได้รับ อย่าลบหรือเปลี่ยนชื่อแผ่นงาน",
         "Use the template you received; do not delete or rename sheets."),
    Kind("structure.missing-column", "error", "Column missing",
         "ไม่พบคอลัมน์ \"{expected}\"", "Column \"{expected}\" not found",
         "อย่าลบหรือเปลี่ยนชื่อหัวคอลัมน์ของแบบรายงาน",
         "Do not delete or rename the template's column headers."),
    Kind("structure.no-stamp", "warning", "Template stamp missing",
         "ไม่พบตราประจำแบบรายงาน (อาจคัดลอกข้อมูลไปไฟล์ใหม่) ระบบจดจำแผ่นงานจากหัวคอลัมน์แทน",
         "The template stamp was not found (data copied to a new file?); sheets were recognised by their headers",
         "ครั้งต่อไปกรอกในไฟล์แบบรายงานที่ได้รับโดยตรง",
         "Next time fill in the template file you received."),
    Kind("structure.template-too-old", "error", "Template version too old",
         "แบบรายงานรุ่น {found} เก่าเกินไป (ต้องเป็นรุ่น {expected} ขึ้นไป)",
         "Template version {found} is too old (need {expected} or newer)",
         "ดาวน์โหลด/ขอแบบรายงานฉบับใหม่แล้วกรอกอีกครั้ง", "Get the new template and fill it in again."),
    Kind("structure.stamp-mismatch", "error", "Stamp does not match the cover",
         "ข้อมูล {column} บนปก ({value}) ไม่ตรงกับแบบรายงานที่ออกให้ ({expected})",
         "{column} on the cover ({value}) does not match the issued template ({expected})",
         "ใช้แบบรายงานของหน่วยงานท่านสำหรับไตรมาสนี้ และอย่าแก้ไขข้อมูลบนปก",
         "Use your agency's template for this quarter; do not edit the cover."),
    Kind("structure.stamp-tampered", "error", "Template stamp altered",
         "ตราประจำแบบรายงานถูกแก้ไข", "The template stamp has been altered",
         "ใช้แบบรายงานฉบับที่ได้รับโดยไม่แก้ไขแผ่นงานที่ซ่อนไว้",
         "Use the template as received, without editing hidden sheets."),
    Kind("structure.locked-cell-changed", "error", "Locked cell changed",
         "ค่าในช่องที่ล็อกไว้ถูกแก้ไข: {value} (ค่าที่ออกให้: {expected})",
         "A locked cell was changed: {value} (issued: {expected})",
         "คืนค่าเดิม {expected} ในช่องนี้ (ช่องนี้กำหนดโดยแผน ห้ามแก้ไข)",
         "Put back the issued value {expected} (set by the plan, not editable)."),
    Kind("structure.formula-instead-of-value", "warning", "Formula where a value is expected",
         "ช่องนี้เป็นสูตร ({value}) ระบบใช้ผลลัพธ์ที่บันทึกไว้",
         "This cell holds a formula ({value}); its saved result was used",
         "ใส่ตัวเลขแทนสูตร (คัดลอกแล้ววางแบบค่า)", "Type the number instead of a formula (paste values)."),
    Kind("structure.formula-no-value", "error", "Formula without a saved result",
         "ช่องนี้เป็นสูตรที่ยังไม่มีผลลัพธ์ ({value})",
         "This formula has no saved result ({value})",
         "เปิดไฟล์ใน Excel/LibreOffice แล้วบันทึกอีกครั้ง หรือใส่ตัวเลขแทนสูตร",
         "Open and save the file in Excel/LibreOffice, or type the number instead."),
    # ---- values ----------------------------------------------------------------------------
    Kind("value.required", "error", "Required value missing",
         "ยังไม่ได้กรอก \"{column}\"", "\"{column}\" is empty",
         "กรอก{column}", "Fill in {column}."),
    Kind("value.not-a-number", "error", "Not a number",
         "\"{value}\" ไม่ใช่ตัวเลข", "\"{value}\" is not a number",
         "ใส่เป็นตัวเลข เช่น 1234.50", "Type a number, e.g. 1234.50."),
    Kind("value.not-an-integer", "error", "Not a whole number",
         "\"{value}\" ไม่ใช่จำนวนเต็ม", "\"{value}\" is not a whole number",
         "ใส่เป็นจำนวนเต็ม", "Type a whole number."),
    Kind("value.not-a-date", "error", "Not a date",
         "\"{value}\" ไม่ใช่วันที่ที่อ่านได้", "\"{value}\" is not a readable date",
         "ใส่วันที่ เช่น 15 ม.ค. 2568 หรือ 15/01/2568", "Type a date, e.g. 15 ม.ค. 2568 or 15/01/2568."),
    Kind("value.year-looks-ce", "warning", "Year looks like CE",
         "ปี {value} ดูเหมือนเป็น ค.ศ. ระบบตีความเป็น พ.ศ. {expected}",
         "Year {value} looks like CE; read as BE {expected}",
         "ใช้ปี พ.ศ. เช่น 2568", "Use Buddhist Era years, e.g. 2568."),
    Kind("value.not-an-email", "error", "Not an e-mail address",
         "\"{value}\" ไม่ใช่อีเมลที่ถูกต้อง", "\"{value}\" is not a valid e-mail address",
         "ใส่อีเมล เช่น school@example.ac.th", "Type an address such as school@example.ac.th."),
    Kind("value.not-allowed", "error", "Value not in the list",
         "\"{value}\" ไม่อยู่ในรายการที่กำหนด", "\"{value}\" is not one of the allowed values",
         "เลือกจากรายการ: {allowed}", "Pick from the list: {allowed}"),
    Kind("value.out-of-range", "error", "Value out of range",
         "{value} อยู่นอกช่วงที่กำหนด ({expected})", "{value} is out of range ({expected})",
         "ใส่ค่าในช่วง {expected}", "Type a value within {expected}."),
    Kind("value.negative-money", "error", "Negative amount",
         "จำนวนเงินติดลบ ({value})", "Negative amount ({value})",
         "ใส่จำนวนเงินเป็นบวก (ยอดสะสม)", "Type a positive cumulative amount."),
    Kind("money.too-many-decimals", "error", "More than two decimals of baht",
         "จำนวนเงิน {value} มีทศนิยมเกิน 2 ตำแหน่ง", "Amount {value} has more than 2 decimals",
         "ปัดเป็นสตางค์ (ทศนิยม 2 ตำแหน่ง) ตามหลักฐานการเบิกจ่าย",
         "Round to satang (2 decimals) as in the payment records."),
    Kind("value.duplicate", "error", "Duplicate value",
         "\"{value}\" ซ้ำกับแถว {other}", "\"{value}\" repeats row {other}",
         "ใช้รหัสไม่ซ้ำกัน หรือรวมเป็นแถวเดียว", "Use a unique code, or merge the rows into one."),
    Kind("value.text-too-long", "error", "Text too long",
         "ข้อความยาวเกินกำหนด ({detail})", "Text too long ({detail})",
         "ตัดข้อความให้สั้นลง", "Shorten the text."),
    Kind("value.bad-format", "error", "Value in the wrong format",
         "\"{value}\" มีรูปแบบไม่ถูกต้อง (ใช้ได้เฉพาะตัวอักษรอังกฤษ ตัวเลข . - _)",
         "\"{value}\" has the wrong format (only letters, digits, . - _ are allowed)",
         "แก้ไขรหัสให้มีเฉพาะตัวอักษรอังกฤษ ตัวเลข จุด ขีด", "Use only letters, digits, dots and dashes."),
    # ---- rules across fields ---------------------------------------------------------------
    Kind("budget.disbursed-over-allocated", "error", "Disbursed more than allocated",
         "เบิกจ่ายสะสม {value} บาท มากกว่างบที่ได้รับจัดสรร {expected} บาท",
         "Disbursed {value} baht is more than the allocated {expected} baht",
         "ตรวจสอบยอดเบิกจ่ายสะสมและงบจัดสรรของโครงการนี้",
         "Check this project's cumulative disbursement and allocation."),
    Kind("budget.spent-over-allocated", "error", "Committed + disbursed more than allocated",
         "ก่อหนี้ผูกพัน + เบิกจ่าย = {value} บาท มากกว่างบจัดสรร {expected} บาท",
         "Committed + disbursed = {value} baht is more than the allocated {expected} baht",
         "ก่อหนี้ผูกพันให้นับเฉพาะส่วนที่ยังไม่เบิกจ่าย", "Count as committed only what is not yet disbursed."),
    Kind("budget.no-projects", "warning", "No projects reported",
         "ยังไม่มีรายการโครงการในแผ่นงานงบประมาณ", "No projects in the budget sheet",
         "กรอกโครงการ/กิจกรรมที่ได้รับงบประมาณ", "List the projects that received a budget."),
    Kind("cover.period-mismatch", "error", "Cover year/quarter differ from the stamp",
         "ปก ระบุ {value} แต่แบบรายงานนี้ออกให้สำหรับ {expected}",
         "The cover says {value} but this template was issued for {expected}",
         "ใช้แบบรายงานของไตรมาสที่ถูกต้อง", "Use the template for the right quarter."),
    Kind("agency.unknown", "error", "Agency not in the plan",
         "ไม่พบรหัสหน่วยงาน {value} ในทะเบียนหน่วยงานของแผน",
         "Agency code {value} is not in the plan's registry",
         "ใช้แบบรายงานที่ออกให้หน่วยงานของท่าน หรือติดต่อสำนักงานศึกษาธิการจังหวัด",
         "Use your agency's template, or contact the provincial office."),
    Kind("plan.fingerprint-mismatch", "warning", "Template from another plan version",
         "แบบรายงานนี้สร้างจากแผนฉบับอื่น ({value})", "The template was made from another plan version ({value})",
         "ขอแบบรายงานฉบับล่าสุด", "Ask for the latest template."),
    Kind("indicator.result-missing", "warning", "Indicator result missing",
         "ยังไม่ได้กรอกผลตัวชี้วัด {value}", "No result for indicator {value}",
         "กรอกผลการดำเนินงาน หรือระบุเหตุผลในช่องหมายเหตุ", "Fill in the result, or explain in remarks."),
    Kind("indicator.unknown", "error", "Indicator not in the plan",
         "ไม่พบตัวชี้วัด {value} ในแผน", "Indicator {value} is not in the plan",
         "อย่าเพิ่มหรือแก้ไขรหัสตัวชี้วัด", "Do not add or change indicator codes."),
    Kind("indicator.missing-row", "error", "Indicator row removed",
         "ไม่พบแถวของตัวชี้วัด {value}", "The row of indicator {value} is missing",
         "ใช้แบบรายงานที่ได้รับโดยไม่ลบแถวตัวชี้วัด", "Use the template without deleting indicator rows."),
    # ---- plausibility (warnings) -----------------------------------------------------------
    Kind("plausibility.result-outside-range", "warning", "Result outside the usual range",
         "ผล {value} อยู่นอกช่วงปกติของตัวชี้วัดนี้ ({expected})",
         "Result {value} is outside this indicator's usual range ({expected})",
         "ตรวจสอบผลอีกครั้ง (หน่วยนับ ทศนิยม)", "Check the result again (unit, decimals)."),
    Kind("plausibility.disbursement-ahead", "warning", "Disbursement far ahead of target",
         "เบิกจ่ายรวม {value} สูงกว่าเป้าหมายไตรมาส ({expected}) มาก",
         "Total disbursement {value} is far ahead of the quarter's target ({expected})",
         "ตรวจสอบว่าเป็นยอดสะสมของปีงบประมาณนี้", "Check that the amounts are this year's cumulative figures."),
    Kind("plausibility.disbursement-behind", "warning", "Disbursement far behind target",
         "เบิกจ่ายรวม {value} ต่ำกว่าเป้าหมายไตรมาส ({expected}) มาก",
         "Total disbursement {value} is far behind the quarter's target ({expected})",
         "ตรวจสอบยอดเบิกจ่ายสะสม และเร่งรัดการเบิกจ่าย", "Check the cumulative figures and speed up spending."),
    Kind("crossquarter.cumulative-fell", "warning", "Cumulative figure fell",
         "ยอดสะสม {column} ลดลงจาก {expected} (ไตรมาสก่อน) เป็น {value}",
         "Cumulative {column} fell from {expected} (previous quarter) to {value}",
         "ยอดสะสมต้องไม่น้อยกว่าไตรมาสก่อน ตรวจสอบและส่งใหม่",
         "Cumulative figures cannot fall; check and resend."),
    # ---- intake decisions (nightly run) ------------------------------------------------------
    Kind("intake.sender-not-registered", "error", "Sender not registered for the agency",
         "ผู้ส่ง {value} ไม่ได้ลงทะเบียนเป็นผู้ส่งของหน่วยงาน {expected}",
         "Sender {value} is not registered for agency {expected}",
         "ส่งจากอีเมลที่ลงทะเบียนไว้ หรือให้หน่วยงานแจ้งเพิ่มอีเมลกับสำนักงานศึกษาธิการจังหวัด",
         "Send from the registered address, or ask the provincial office to register yours."),
    Kind("intake.period-not-open", "error", "Period not open",
         "ไม่ได้เปิดรับรายงาน {value}", "Reports for {value} are not open",
         "ตรวจสอบไตรมาสของแบบรายงาน", "Check the quarter of the template."),
    Kind("intake.plan-mismatch", "error", "No plan for the year",
         "ไม่มีแผนสำหรับปีงบประมาณ {value}", "There is no plan for fiscal year {value}",
         "ใช้แบบรายงานของปีงบประมาณปัจจุบัน", "Use the current fiscal year's template."),
    Kind("intake.duplicate", "warning", "Same file received again",
         "ได้รับไฟล์นี้แล้วเมื่อ {value}", "This exact file was already received on {value}",
         "ไม่ต้องดำเนินการ", "Nothing to do."),
    Kind("intake.late", "warning", "Received after the due date",
         "ได้รับรายงานหลังกำหนดส่ง ({expected})", "Received after the due date ({expected})",
         "ครั้งต่อไปโปรดส่งภายในกำหนด", "Please send by the due date next time."),
    Kind("intake.no-attachment", "error", "No attachment",
         "ไม่พบไฟล์แนบในอีเมล ({value})", "The e-mail has no attachment ({value})",
         "แนบไฟล์แบบรายงาน (.xlsx) ที่กรอกแล้วส่งอีกครั้ง",
         "Attach the filled report template (.xlsx) and send again."),
]

CATALOG: dict[str, Kind] = {k.code: k for k in _KINDS}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def problem(
    code: str,
    *,
    file: str,
    sheet: str | None = None,
    cell: str | None = None,
    column: str | None = None,
    value: Any = None,
    severity: Severity | None = None,
    **params: Any,
) -> Problem:
    """A Problem of a catalogued kind, with its messages filled in."""
    kind = CATALOG[code]
    value_text = None if value is None else str(value)
    column_th, _, column_en = (column or "").partition("\n")
    fields = _Blank(
        value=value_text if value_text is not None else "",
        column=column_th.strip(),
        column_en=(column_en or column_th).strip(),
        sheet=sheet or "",
        cell=cell or "",
        **{k: ("" if v is None else v) for k, v in params.items()},
    )
    fields_en = _Blank(fields, column=fields["column_en"])
    label = None if column is None else (
        f"{column_th.strip()} ({column_en.strip()})" if column_en else column_th.strip()
    )
    return Problem(
        code=code,
        severity=severity or kind.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        column=label,
        value=value_text,
        message_th=kind.message_th.format_map(fields),
        message_en=kind.message_en.format_map(fields_en),
        fix_th=kind.fix_th.format_map(fields),
        fix_en=kind.fix_en.format_map(fields_en),
    )
