"""Plan sheet "agencies": the registry of reporting agencies and their senders."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, EMAILS, TEXT, col


class PlanAgencies(pa.DataFrameModel):
    agency_code: Series[str] = col(
        "รหัสหน่วยงาน", "Agency code", CODE, required=True, unique=True, width=14,
        str_matches=r"^[0-9A-Za-z\-_]{2,20}$",
        help_th="รหัสไม่ซ้ำ เช่น รหัสสถานศึกษา 10 หลัก", help_en="unique, e.g. 10-digit school code",
    )
    name_th: Series[str] = col("ชื่อหน่วยงาน", "Agency name (Thai)", TEXT, required=True, width=40)
    agency_type: Series[str] = col(
        "ประเภทหน่วยงาน", "Agency type", CHOICE, required=True, choices="agency_type", width=26
    )
    affiliation: Series[str] = col(
        "สังกัด", "Affiliation", CHOICE, required=True, choices="affiliation", width=16
    )
    district: Series[str] = col("อำเภอ", "District", TEXT, required=True, width=18)
    parent_code: Series[str] = col(
        "รหัสหน่วยงานต้นสังกัด", "Parent agency code", CODE, width=14,
        help_th="ว่างได้ ต้องเป็นรหัสที่มีในรายการ", help_en="optional; must be a listed code",
    )
    sender_emails: Series[str] = col(
        "อีเมลผู้ส่งที่ลงทะเบียน", "Registered sender e-mails", EMAILS, required=True, width=36,
        help_th="คั่นหลายอีเมลด้วย , หรือ ;", help_en="separate several with , or ;",
    )
    levels: Series[str] = col(
        "ระดับที่เปิดสอน", "Levels taught", TEXT, width=30,
        help_th="สถานศึกษา: ปฐมวัย, ประถมศึกษา, มัธยมศึกษาตอนต้น, มัธยมศึกษาตอนปลาย (คั่นด้วย ,)",
        help_en="schools: levels separated by , (empty for offices)",
    )
    web_link: Series[str] = col(
        "ลิงก์เว็บ (รุ่น)", "Web link (version)", TEXT, width=16,
        help_th="ว่าง = ลิงก์รุ่น 1; ใส่ 2, 3 ... เพื่อออกลิงก์ใหม่ (ลิงก์เดิมใช้ไม่ได้); ยกเลิก = ปิดลิงก์",
        help_en="empty = link 1; 2, 3... issues a new link (the old one stops); ยกเลิก / revoked = off",
    )
