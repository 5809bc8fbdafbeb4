#!/usr/bin/env python3
"""Generates samples/corp-dc01.winlogbeat.jsonl: one working day of a domain controller's
Security and System events, as Winlogbeat (ECS) ships them, with an intrusion woven in.

The file is the project's own demo data (the README's first command scans it). It is generated,
not recorded: field names, value forms (hex status codes, `%%` insertion strings, UPN-style
names in 4769) and event sequences follow what Windows Server writes, as seen in the public
attack samples the scoreboard runs on. Deterministic: the same seed gives the same bytes.

    python3 samples/generate.py > samples/corp-dc01.winlogbeat.jsonl
"""

import json
import random
import sys
from datetime import datetime, timedelta, timezone

SEED = 20260302
DOMAIN = "CORP"
REALM = "CORP.EXAMPLE"
DNS = "corp.example"
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
DC = "DC01.corp.example"
DC2 = "DC02.corp.example"
ATTACKER_IP = "10.10.1.133"
START = datetime(2026, 3, 2, 7, 0, 0, tzinfo=timezone.utc)

FIRST = ["anna", "ben", "chloe", "dave", "emma", "finn", "gina", "hugo", "iris", "jack",
         "kate", "liam", "mia", "noah", "olga", "paul", "quinn", "rosa", "sam", "tina",
         "uma", "vic", "wes", "xena", "yuri", "zoe", "eyoung", "jnguyen", "gmiller", "rmoore"]
LAST = ["smith", "jones", "brown", "lee", "wong", "garcia", "khan", "novak", "silva", "berg"]

rng = random.Random(SEED)
record = [100000]
out = []


def sid(rid):
    return f"{DOMAIN_SID}-{rid}"


USERS = []
for i, f in enumerate(FIRST):
    name = f if f in ("eyoung", "jnguyen", "gmiller", "rmoore") else f"{f}.{LAST[i % len(LAST)]}"
    USERS.append({"name": name, "rid": 1200 + i, "ws": f"WS{i + 1:03d}", "ip": f"10.10.1.{100 + i}"})
ADMINS = [{"name": "adm_jsmith", "rid": 1110}, {"name": "adm_klee", "rid": 1111}]
SERVICES = {"svc_sql": 1150, "svc_web": 1151, "svc_report": 1152, "svc_sccm": 1153, "svc_backup": 1154}


def emit(t, event_id, data, channel="Security", provider="Microsoft-Windows-Security-Auditing",
         computer=DC):
    record[0] += 1
    out.append((t, {
        "@timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "event": {"code": str(event_id), "provider": provider},
        "host": {"name": computer.split(".")[0].lower()},
        "winlog": {
            "channel": channel,
            "computer_name": computer,
            "event_id": event_id,
            "provider_name": provider,
            "record_id": record[0],
            "event_data": data,
        },
    }))


def tgt(t, user, ip, status="0x0", preauth="2", etype="0x12"):
    data = {"TargetUserName": user["name"], "TargetDomainName": DOMAIN,
            "TargetSid": sid(user["rid"]) if status == "0x0" else "S-1-0-0",
            "ServiceName": "krbtgt", "ServiceSid": sid(502), "TicketOptions": "0x40810010",
            "Status": status, "TicketEncryptionType": etype if status == "0x0" else "0xffffffff",
            "PreAuthType": preauth if status == "0x0" else "-",
            "IpAddress": f"::ffff:{ip}", "IpPort": str(rng.randint(49152, 65000))}
    emit(t, 4768, data)


def preauth_failed(t, name, rid, ip):
    emit(t, 4771, {"TargetUserName": name, "TargetSid": sid(rid), "ServiceName": f"krbtgt/{REALM}",
                   "TicketOptions": "0x40810010", "Status": "0x18", "PreAuthType": "2",
                   "IpAddress": f"::ffff:{ip}", "IpPort": str(rng.randint(49152, 65000))})


def tgs(t, user, ip, service, service_rid, etype="0x12"):
    emit(t, 4769, {"TargetUserName": f"{user}@{REALM}", "TargetDomainName": REALM,
                   "ServiceName": service, "ServiceSid": sid(service_rid),
                   "TicketOptions": "0x40810000", "TicketEncryptionType": etype,
                   "IpAddress": f"::ffff:{ip}", "IpPort": str(rng.randint(49152, 65000)),
                   "Status": "0x0", "LogonGuid": "{%08x-0000-0000-0000-000000000000}" % rng.getrandbits(32),
                   "TransmittedServices": "-"})


def logon(t, user, ip, ws, logon_type="3", package="Kerberos"):
    emit(t, 4624, {"SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
                   "SubjectLogonId": "0x0", "TargetUserSid": sid(user["rid"]),
                   "TargetUserName": user["name"], "TargetDomainName": DOMAIN,
                   "TargetLogonId": hex(rng.getrandbits(32)), "LogonType": logon_type,
                   "LogonProcessName": "Kerberos", "AuthenticationPackageName": package,
                   "WorkstationName": "-" if package == "Kerberos" else ws,
                   "IpAddress": ip, "IpPort": str(rng.randint(49152, 65000)),
                   "ElevatedToken": "%%1843"})


def subject(user):
    return {"SubjectUserSid": sid(user["rid"]), "SubjectUserName": user["name"],
            "SubjectDomainName": DOMAIN, "SubjectLogonId": hex(rng.getrandbits(32))}


def background():
    """Ordinary work: people arriving, reaching file and SQL servers, typos, admin chores."""
    for u in USERS:
        t = START + timedelta(minutes=rng.randint(0, 120), seconds=rng.randint(0, 59))
        if rng.random() < 0.15:  # a typo first
            preauth_failed(t, u["name"], u["rid"], u["ip"])
            t += timedelta(seconds=rng.randint(3, 20))
        tgt(t, u, u["ip"])
        tgs(t + timedelta(seconds=1), u["name"], u["ip"], "DC01$", 1000)
        logon(t + timedelta(seconds=1), u, u["ip"], u["ws"])
        for _ in range(rng.randint(3, 9)):
            t2 = t + timedelta(minutes=rng.randint(5, 420))
            svc = rng.choice(["FS01$", "FS02$", "DC01$", "DC02$", "PRN01$"])
            tgs(t2, u["name"], u["ip"], svc, 1000 + rng.randint(1, 50))
        if rng.random() < 0.3:
            tgs(t + timedelta(minutes=rng.randint(30, 400)), u["name"], u["ip"], "svc_sql", SERVICES["svc_sql"])
        if rng.random() < 0.2:  # a legacy reporting service still on RC4
            tgs(t + timedelta(minutes=rng.randint(30, 400)), u["name"], u["ip"], "svc_report",
                SERVICES["svc_report"], etype="0x17")
    # Someone mistyping their own name a few times.
    for i in range(3):
        emit(START + timedelta(hours=1, seconds=i * 7), 4768, {
            "TargetUserName": "chloe.brwon", "TargetDomainName": DOMAIN, "TargetSid": "S-1-0-0",
            "ServiceName": "krbtgt", "Status": "0x6", "PreAuthType": "-",
            "TicketEncryptionType": "0xffffffff", "IpAddress": "::ffff:10.10.1.102", "IpPort": "50112"})
    # DC-to-DC replication, all day.
    for h in range(8):
        emit(START + timedelta(hours=h, minutes=15), 4662, {
            "SubjectUserSid": sid(1001), "SubjectUserName": "DC02$", "SubjectDomainName": DOMAIN,
            "SubjectLogonId": "0x3e4a1", "ObjectServer": "DS",
            "ObjectType": "%{19195a5b-6da0-11d0-afd3-00c04fd930c9}",
            "ObjectName": "%{6c8a8e3f-52a7-4f2c-9a57-5a7b4c3b2d11}", "OperationType": "Object Access",
            "HandleId": "0x0", "AccessList": "%%7688\r\n\t\t\t\t", "AccessMask": "0x100",
            "Properties": "%%7688\r\n\t\t{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}\r\n\t{19195a5b-6da0-11d0-afd3-00c04fd930c9}\r\n",
            "AdditionalInfo": "-", "AdditionalInfo2": ""}, computer=DC)
    # Help desk chores: project group membership, a password reset.
    helpdesk = ADMINS[0]
    for i, u in enumerate(USERS[:4]):
        emit(START + timedelta(hours=2, minutes=i * 3), 4728, {
            "MemberName": f"CN={u['name']},OU=Staff,DC=corp,DC=example", "MemberSid": sid(u["rid"]),
            "TargetUserName": "Project-Atlas", "TargetDomainName": DOMAIN, "TargetSid": sid(1300),
            **subject(helpdesk), "PrivilegeList": "-"})
    emit(START + timedelta(hours=3), 4724, {"TargetUserName": USERS[7]["name"], "TargetDomainName": DOMAIN,
                                             "TargetSid": sid(USERS[7]["rid"]), **subject(helpdesk)})
    # A legitimate agent update installing a service on the DC.
    emit(START + timedelta(hours=4, minutes=2), 7045, {
        "ServiceName": "Contoso Backup Agent", "ImagePath": "\"C:\\Program Files\\Contoso\\Backup\\agent.exe\" /service",
        "ServiceType": "user mode service", "StartType": "auto start", "AccountName": "LocalSystem"},
        channel="System", provider="Service Control Manager")


def intrusion():
    """An intrusion from WS033 (10.10.1.133), foothold account jnguyen."""
    atk = ATTACKER_IP
    t = START + timedelta(hours=2, minutes=12)
    # 1. kerbrute userenum: names that do not exist.
    for i in range(40):
        emit(t + timedelta(milliseconds=120 * i), 4768, {
            "TargetUserName": rng.choice(["admin", "administrator2", "backup", "test", "sql", "oracle",
                                          "scanner", "vpn", "guest1", "temp"]) + str(i),
            "TargetDomainName": DOMAIN, "TargetSid": "S-1-0-0", "ServiceName": "krbtgt",
            "Status": "0x6", "PreAuthType": "-", "TicketEncryptionType": "0xffffffff",
            "IpAddress": f"::ffff:{atk}", "IpPort": str(rng.randint(49152, 65000))})
    # 2. Password spray: one password across 25 accounts; it works for eyoung.
    t += timedelta(minutes=8)
    for i, u in enumerate(USERS[:25]):
        preauth_failed(t + timedelta(milliseconds=400 * i), u["name"], u["rid"], atk)
    eyoung = next(u for u in USERS if u["name"] == "eyoung")
    tgt(t + timedelta(seconds=11), eyoung, atk)
    # 3. AS-REP roasting of the account without pre-authentication.
    t += timedelta(minutes=11)
    tgt(t, {"name": "svc_backup", "rid": SERVICES["svc_backup"]}, atk, preauth="0", etype="0x17")
    # 4. Kerberoasting with RC4 as eyoung.
    t += timedelta(minutes=9)
    for i, (svc, rid) in enumerate(SERVICES.items()):
        if svc != "svc_backup":
            tgs(t + timedelta(milliseconds=300 * i), "eyoung", atk, svc, rid, etype="0x17")
    # 5. Brute force against an admin.
    t += timedelta(minutes=25)
    for i in range(14):
        preauth_failed(t + timedelta(seconds=4 * i), "adm_klee", 1111, atk)
    # 6. With a cracked service password, a privileged group change.
    t += timedelta(hours=1, minutes=25)
    jn = next(u for u in USERS if u["name"] == "jnguyen")
    emit(t, 4728, {"MemberName": f"CN=jnguyen,OU=Staff,DC=corp,DC=example", "MemberSid": sid(jn["rid"]),
                   "TargetUserName": "Domain Admins", "TargetDomainName": DOMAIN, "TargetSid": sid(512),
                   **subject({"name": "svc_sql", "rid": SERVICES["svc_sql"]}), "PrivilegeList": "-"})
    # 7. DCSync as jnguyen.
    t += timedelta(minutes=15)
    for guid in ("1131f6aa-9c07-11d1-f79f-00c04fc2dcd2", "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"):
        emit(t, 4662, {**subject(jn), "ObjectServer": "DS",
                       "ObjectType": "%{19195a5b-6da0-11d0-afd3-00c04fd930c9}",
                       "ObjectName": "%{6c8a8e3f-52a7-4f2c-9a57-5a7b4c3b2d11}",
                       "OperationType": "Object Access", "HandleId": "0x0",
                       "AccessList": "%%7688\r\n\t\t\t\t", "AccessMask": "0x100",
                       "Properties": f"%%7688\r\n\t\t{{{guid}}}\r\n\t{{19195a5b-6da0-11d0-afd3-00c04fd930c9}}\r\n",
                       "AdditionalInfo": "-", "AdditionalInfo2": ""})
    # 8. Backdoor on AdminSDHolder.
    t += timedelta(minutes=25)
    for op in ("%%14675", "%%14674"):
        emit(t, 5136, {"OpCorrelationID": "{5e1f3c2a-8d41-4b7e-9f3a-0c2d1e4b5a69}", "AppCorrelationID": "-",
                       **subject(jn), "DSName": DNS, "DSType": "%%14676",
                       "ObjectDN": "CN=AdminSDHolder,CN=System,DC=corp,DC=example",
                       "ObjectGUID": "{0bd2a0e4-1f6c-4c39-8d0e-7a8c2b5e9f01}", "ObjectClass": "container",
                       "AttributeLDAPDisplayName": "nTSecurityDescriptor", "AttributeSyntaxOID": "2.5.5.15",
                       "AttributeValue": "O:DAG:DAD:PAI(A;;CCDCLCSWRPWPLOCRRCWDWO;;;DA)"
                       + ("(A;;GA;;;" + sid(jn["rid"]) + ")" if op == "%%14674" else ""),
                       "OperationType": op})
    # 9. PsExec-style service on the DC (impacket smbexec).
    t += timedelta(minutes=20)
    emit(t, 5145, {**subject(jn), "ObjectType": "File", "IpAddress": atk, "IpPort": "51544",
                   "ShareName": "\\\\*\\IPC$", "ShareLocalPath": "", "RelativeTargetName": "svcctl",
                   "AccessMask": "0x3", "AccessList": "%%4416\r\n\t\t\t\t%%4417\r\n\t\t\t\t",
                   "AccessReason": "-"})
    emit(t + timedelta(seconds=1), 7045, {
        "ServiceName": "BTOBTO",
        "ImagePath": "%COMSPEC% /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat & %COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat",
        "ServiceType": "user mode service", "StartType": "demand start", "AccountName": "LocalSystem"},
        channel="System", provider="Service Control Manager")
    # 10. Covering tracks.
    t += timedelta(minutes=20)
    record[0] += 1
    emit(t, 1102, {"SubjectUserSid": sid(jn["rid"]), "SubjectUserName": "jnguyen",
                   "SubjectDomainName": DOMAIN, "SubjectLogonId": "0x5a3f1c"},
         provider="Microsoft-Windows-Eventlog")


def main():
    background()
    intrusion()
    out.sort(key=lambda x: (x[0], x[1]["winlog"]["record_id"]))
    w = sys.stdout
    for _, doc in out:
        w.write(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
