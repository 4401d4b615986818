"""The sheets of the plan workbook and of a submission, declared once.

Templates, the reader, the validator and docs/schemas.md are all derived from these.
Bump SCHEMA_VERSION when a submission sheet changes in a way old files cannot follow;
MIN_SCHEMA_VERSION is the oldest template version still accepted.
"""

from ._base import ColumnSpec, SheetSpec, columns_of
from .budget import Budget
from .choices import FIXED_CHOICES, Choice
from .cover import Cover
from .indicator_results import IndicatorResults
from .narrative import Narrative
from .plan_agencies import PlanAgencies
from .plan_disbursement import PlanDisbursementTargets
from .plan_indicators import PlanIndicators
from .plan_projects import PlanProjects
from .plan_settings import PlanSettings
from .plan_strategies import PlanStrategies

SCHEMA_VERSION = "2.0"
MIN_SCHEMA_VERSION = "2.0"  # 2.0: indicator inputs by kind (numerator, weight...)

# Submission workbook (the template an agency fills)
COVER = SheetSpec("cover", "ปก (Cover)", Cover, "form", header_row=4,
                  title_th="แบบรายงานผลการดำเนินงานและการใช้จ่ายงบประมาณ",
                  title_en="Quarterly report: budget and indicator results")
BUDGET = SheetSpec("budget", "งบประมาณ (Budget)", Budget, "table", header_row=4,
                   title_th="ผลการใช้จ่ายงบประมาณรายโครงการ (สะสม)",
                   title_en="Budget by project (cumulative)")
INDICATORS = SheetSpec("indicators", "ตัวชี้วัด (Indicators)", IndicatorResults, "table",
                       header_row=4, title_th="ผลการดำเนินงานตามตัวชี้วัด",
                       title_en="Indicator results")
NARRATIVE = SheetSpec("narrative", "ปัญหาและข้อเสนอแนะ (Narrative)", Narrative, "table",
                      header_row=4, title_th="ปัญหาอุปสรรค ข้อเสนอแนะ และผลงานเด่น",
                      title_en="Problems, suggestions and highlights", optional=True)
SUBMISSION_SHEETS = [COVER, BUDGET, INDICATORS, NARRATIVE]
NARRATIVE_TEMPLATE_ROWS = 30
LISTS_SHEET = "_lists"  # hidden: dropdown lists
STAMP_SHEET = "_stamp"  # very hidden: machine-readable template stamp (key in A, value in B)
BUDGET_TEMPLATE_ROWS = 150  # empty, formatted rows for projects

# Plan workbook (plan/<FY>.xlsx)
PLAN_SETTINGS = SheetSpec("settings", "ตั้งค่า (Settings)", PlanSettings, "form", header_row=3,
                          title_th="ตั้งค่าแผน", title_en="Plan settings")
PLAN_AGENCIES = SheetSpec("agencies", "หน่วยงาน (Agencies)", PlanAgencies, "table",
                          header_row=3, title_th="ทะเบียนหน่วยงาน", title_en="Agency registry")
PLAN_STRATEGIES = SheetSpec("strategies", "ยุทธศาสตร์ (Strategies)", PlanStrategies, "table",
                            header_row=3, title_th="ยุทธศาสตร์", title_en="Strategies")
PLAN_INDICATORS = SheetSpec("indicators", "ตัวชี้วัด (Indicators)", PlanIndicators, "table",
                            header_row=3, title_th="ตัวชี้วัดและค่าเป้าหมาย",
                            title_en="Indicators and targets")
PLAN_DISBURSEMENT = SheetSpec("disbursement", "เป้าเบิกจ่าย (Disbursement)",
                              PlanDisbursementTargets, "table", header_row=3,
                              title_th="เป้าหมายการเบิกจ่ายสะสมรายไตรมาส",
                              title_en="Cumulative disbursement targets by quarter")
PLAN_PROJECTS = SheetSpec("projects", "โครงการ (Projects)", PlanProjects, "table",
                          header_row=3, title_th="ทะเบียนโครงการตามแผน",
                          title_en="Project register", optional=True)
PLAN_SHEETS = [PLAN_SETTINGS, PLAN_AGENCIES, PLAN_STRATEGIES, PLAN_INDICATORS, PLAN_DISBURSEMENT,
               PLAN_PROJECTS]

__all__ = [
    "BUDGET", "BUDGET_TEMPLATE_ROWS", "COVER", "Choice", "ColumnSpec", "FIXED_CHOICES",
    "INDICATORS", "LISTS_SHEET", "NARRATIVE", "NARRATIVE_TEMPLATE_ROWS", "MIN_SCHEMA_VERSION", "PLAN_AGENCIES", "PLAN_DISBURSEMENT",
    "PLAN_INDICATORS", "PLAN_PROJECTS", "PLAN_SETTINGS", "PLAN_SHEETS", "PLAN_STRATEGIES", "SCHEMA_VERSION",
    "STAMP_SHEET", "SUBMISSION_SHEETS", "SheetSpec", "columns_of",
]
