"""The labels of the records' fields, each once with its Chinese and English side by side.

A model takes its field's title from here (`Field(title=label("field.name"))` in
civtui/domain/models.py), so pydantic's messages, forms, record pages and Excel headers
show the Chinese; `Translator.of` finds the English by that title. A Chinese label names one
field's meaning, so it is declared once: two fields that mean the same (a visit's and a
check's 健康状况) share one, and two that differ say so in Chinese too (服务对象, 儿童, 老人).
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # Every record
    "field.id": ("编号", "ID"),
    # Village, staff, household
    "field.village_id": ("村(社区)代码", "Village code"),
    "field.village_name": ("村(社区)名称", "Village name"),
    "field.township": ("乡镇(街道)", "Township"),
    "field.role": ("角色", "Role"),
    "field.village_codes": ("服务村(社区)", "Villages served"),
    "field.economic_status": ("经济状况", "Economic status"),
    "field.head_name": ("户主", "Head of household"),
    # Person
    "field.village_code": ("村(社区)", "Village"),
    "field.household_id": ("所属户", "Household"),
    "field.name": ("姓名", "Name"),
    "field.id_number": ("身份证号", "ID number"),
    "field.phone": ("联系电话", "Phone"),
    "field.address": ("住址", "Address"),
    "field.categories": ("类别", "Categories"),
    "field.status": ("状态", "Status"),
    "field.disability_grade": ("残疾等级", "Disability grade"),
    "field.guardian_name": ("监护人", "Guardian"),
    "field.guardian_relation": ("监护人关系", "Relation"),
    "field.guardian_phone": ("监护人电话", "Guardian phone"),
    "field.emergency_contact_name": ("紧急联系人", "Emergency contact"),
    "field.emergency_contact_phone": ("紧急联系人电话", "Contact phone"),
    "field.registered_on": ("登记日期", "Registered on"),
    "field.notes": ("备注", "Notes"),
    # Visits and child checks alike
    "field.person": ("服务对象", "Person"),
    "field.findings": ("存在问题", "Problems found"),
    "field.findings_note": ("其他问题", "Other problem"),
    "field.follow_up_needed": ("需要跟进", "Follow-up needed"),
    "field.follow_up_note": ("跟进事项", "Follow-up"),
    "field.follow_up_done_on": ("跟进完成日期", "Follow-up done on"),
    "field.deleted_reason": ("删除原因", "Reason deleted"),
    "field.late": ("补录", "Entered late"),
    "field.health": ("健康状况", "Health"),
    # Visit
    "field.visit_date": ("探访日期", "Date"),
    "field.visitor": ("探访人", "Visitor"),
    "field.visit_mode": ("探访方式", "Mode"),
    "field.living_condition": ("居住状况", "Living condition"),
    "field.safety_hazards": ("安全隐患", "Hazards"),
    "field.mood": ("精神状态", "Mood"),
    # Child check
    "field.child": ("儿童", "Child"),
    "field.check_date": ("随访日期", "Date"),
    "field.checker": ("随访人", "Checked by"),
    "field.check_mode": ("随访方式", "Mode"),
    "field.guardian_situation": ("监护情况", "Guardian situation"),
    "field.school_status": ("就学情况", "School"),
    "field.risk_flags": ("风险因素", "Risk flags"),
    "field.allowance_received": ("补贴已到位", "Allowance received"),
    "field.risk_level": ("风险等级", "Risk level"),
    "field.reported_at": ("强制报告时间", "Reported at"),
    "field.reported_to": ("报告对象", "Reported to"),
    # Elder need and its steps
    "field.elder": ("老人", "Elder"),
    "field.need_type": ("需求类型", "Need"),
    "field.urgency": ("紧急程度", "Urgency"),
    "field.description": ("需求描述", "Description"),
    "field.referred_to": ("转介至", "Referred to"),
    "field.raised_on": ("提出日期", "Raised on"),
    "field.raised_by": ("登记人", "Raised by"),
    "field.resolution_note": ("办理结果", "Outcome"),
    "field.history": ("状态记录", "Status history"),
    "field.need": ("需求", "Need"),
    "field.status_before": ("原状态", "Previous status"),
    "field.new_status": ("新状态", "New status"),
    "field.changed_at": ("变更时间", "Changed at"),
    "field.staff": ("经办人", "Handled by"),
    "field.note": ("说明", "Note"),
    # Barthel assessment: the ten items, then what is worked out from them
    "field.assessed_on": ("评估日期", "Date"),
    "field.assessor": ("评估人", "Assessor"),
    "field.feeding": ("进食", "Feeding"),
    "field.bathing": ("洗澡", "Bathing"),
    "field.grooming": ("修饰", "Grooming"),
    "field.dressing": ("穿衣", "Dressing"),
    "field.bowels": ("控制大便", "Bowels"),
    "field.bladder": ("控制小便", "Bladder"),
    "field.toilet": ("如厕", "Toilet use"),
    "field.transfer": ("床椅转移", "Transfer"),
    "field.mobility": ("平地行走", "Mobility"),
    "field.stairs": ("上下楼梯", "Stairs"),
    "field.total": ("总分", "Total"),
    "field.level": ("依赖等级", "Dependency level"),
    # Visit policy, the township's rules, a person's dated changes, a month's report
    "field.frequency": ("探访频次", "Visit frequency"),
    "field.effective_from": ("生效月份", "In force from"),
    "field.earlier_frequencies": ("此前频次", "Earlier frequencies"),
    "field.rule": ("规则", "Rule"),
    "field.value": ("取值", "Value"),
    "field.earlier_values": ("此前取值", "Earlier values"),
    "field.effective_on": ("生效日期", "Effective on"),
    "field.held": ("具有该类别", "Holds the category"),
    "field.month": ("月份", "Month"),
    "field.taken_at": ("生成时间", "Taken at"),
    "field.figures": ("数据", "Figures"),
}
