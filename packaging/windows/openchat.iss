; Inno Setup script: the Windows installer around the PyInstaller app folder.
;
;   python packaging\build.py --variant cpu         (runs ISCC itself when it is on PATH)
; or by hand, after PyInstaller:
;   iscc /DAppVersion=0.1.0 packaging\windows\openchat.iss
;
; Installs per user by default (no administrator rights; "for all users" can be chosen),
; adds a Start-menu shortcut (and optionally a desktop one) and an uninstaller. Uninstalling
; keeps the user's settings, conversations and models (%LOCALAPPDATA%\OpenChat).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\OpenChat"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef OutputName
  #define OutputName "OpenChat-" + AppVersion + "-windows-x86_64-setup"
#endif

[Setup]
AppId={{43307BE8-D576-4E33-AA86-26847A5E139F}
AppName=OpenChat
AppVersion={#AppVersion}
AppVerName=OpenChat {#AppVersion}
AppPublisher=OpenChat Desktop contributors
DefaultDirName={autopf}\OpenChat
DefaultGroupName=OpenChat
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#OutputName}
SetupIconFile=..\..\resources\icons\openchat.ico
UninstallDisplayIcon={app}\OpenChat.exe
UninstallDisplayName=OpenChat
Compression=lzma2/fast
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A new version replaces the old bundle completely (no stale DLLs from an older release).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\OpenChat"; Filename: "{app}\OpenChat.exe"; AppUserModelID: "io.github.openchat.OpenChat"
Name: "{autodesktop}\OpenChat"; Filename: "{app}\OpenChat.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\OpenChat.exe"; Description: "{cm:LaunchProgram,OpenChat}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal"
